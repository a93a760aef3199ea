// The task engine: a lifecycle POST creates a task with a real UPID that ends after a simulated
// duration; its effect on the guest is applied when it ends (world.advance, on every request).
import { formatUpid } from '../../agent/pve/upid.ts';
import { hashInts } from './rng.ts';
import type { SimCluster, SimNode, SimTask } from './types.ts';
import type { World } from './world.ts';

export interface TaskSpec {
  node: SimNode;
  type: string;
  id: string;
  /** Realistic duration range in seconds (scaled by taskTimeScale). */
  seconds: [number, number];
  /** Worker error text; the task ends with TASK ERROR: <error>. */
  error?: string;
  /** Log lines before the final TASK line. */
  log?: string[];
  /** Applied at the task's end when it succeeds; gets the end time in epoch seconds. */
  effect?: (endSec: number) => void;
  /** Applied at the task's end whatever the outcome (lock release). */
  cleanup?: (endSec: number) => void;
  /** Guest vmid, for a pending taskFail fault. */
  vmid?: number;
}

const MAX_TASKS = 2000;

/** Starts a task and returns it (its UPID is what the POST answers). */
export function startTask(world: World, cluster: SimCluster, user: string, spec: TaskSpec): SimTask {
  const nowMs = world.now();
  const starttime = Math.floor(nowMs / 1000);
  const node = spec.node;
  const pid = node.nextPid++;
  const pstart = Math.max(1, Math.floor((starttime - node.bootAt) * 100));
  const [lo, hi] = spec.seconds;
  const frac = hashInts(world.seed, cluster.index, pid) / 4294967296;
  const durationMs = Math.max(1, (lo + (hi - lo) * frac) * 1000 * world.taskTimeScale);
  let error = spec.error;
  if (spec.vmid !== undefined && cluster.failNext.has(spec.vmid)) {
    error ??= cluster.failNext.get(spec.vmid);
    cluster.failNext.delete(spec.vmid);
  }
  const bang = user.indexOf('!');
  const task: SimTask = {
    upid: formatUpid({ node: node.name, pid, pstart, starttime, type: spec.type, id: spec.id, user }),
    node: node.name,
    pid,
    pstart,
    starttime,
    type: spec.type,
    id: spec.id,
    user: bang === -1 ? user : user.slice(0, bang),
    ...(bang === -1 ? {} : { tokenid: user.slice(bang + 1) }),
    endMs: nowMs + durationMs,
    exitstatus: error ?? 'OK',
    log: spec.log ?? [],
    done: false,
  };
  if (spec.effect) {
    const effect = spec.effect;
    task.effect = () => effect(task.endMs / 1000);
  }
  if (spec.cleanup) {
    const cleanup = spec.cleanup;
    task.cleanup = () => cleanup(task.endMs / 1000);
  }
  cluster.tasks.push(task);
  if (cluster.tasks.length > MAX_TASKS) {
    const i = cluster.tasks.findIndex((t) => t.done);
    if (i !== -1) cluster.tasks.splice(i, 1);
  }
  return task;
}

/** Whether the task is still running at nowMs. */
export function taskRunning(t: SimTask, nowMs: number): boolean {
  return !t.done && nowMs < t.endMs;
}

/** The log lines visible at nowMs, ending in the TASK line once finished. */
export function taskLog(t: SimTask, nowMs: number): string[] {
  if (taskRunning(t, nowMs)) return t.log;
  const last = t.exitstatus === 'OK' ? 'TASK OK' : t.exitstatus.startsWith('WARNINGS') ? `TASK ${t.exitstatus}` : `TASK ERROR: ${t.exitstatus}`;
  return [...t.log, last];
}

/** Task as the task-list endpoints show it (status = exit text or RUNNING, endtime when finished). */
export function taskListItem(t: SimTask, nowMs: number): Record<string, unknown> {
  const o: Record<string, unknown> = { upid: t.upid, node: t.node, pid: t.pid, pstart: t.pstart, starttime: t.starttime, type: t.type, id: t.id, user: t.user };
  if (t.tokenid !== undefined) o.tokenid = t.tokenid;
  if (taskRunning(t, nowMs)) o.status = 'RUNNING';
  else {
    o.endtime = Math.floor(t.endMs / 1000);
    o.status = t.exitstatus;
  }
  return o;
}
