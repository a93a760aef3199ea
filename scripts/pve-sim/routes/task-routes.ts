// Task endpoints (pve-api.md §7): /cluster/tasks, the node task list, task status, log, stop.
import { boolParam, intParam, paramError, SimHttpError } from '../http-error.ts';
import type { Route, RouteContext } from '../router.ts';
import { taskListItem, taskLog, taskRunning } from '../tasks.ts';
import type { SimTask } from '../types.ts';
import { allowed } from '../permissions.ts';
import { nodeOrThrow } from './lookup.ts';

const newestFirst = (a: SimTask, b: SimTask) => b.starttime - a.starttime || b.pid - a.pid;

/** Without Sys.Audit a token sees only its own tasks (pve-api.md §1.1, §7.4). */
function visible(ctx: RouteContext, t: SimTask, path: string): boolean {
  return allowed(ctx.world.privileges, path, 'Sys.Audit') || `${t.user}!${t.tokenid ?? ''}` === ctx.authUser;
}

function clusterTasks(ctx: RouteContext) {
  return [...ctx.cluster.tasks].filter((t) => visible(ctx, t, '/')).sort(newestFirst).map((t) => {
    const o = taskListItem(t, ctx.nowMs);
    if (o.status === 'RUNNING') delete o.status;
    else o.saved = '1';
    return o;
  });
}

function isError(status: string): boolean {
  return status !== 'OK' && !status.startsWith('WARNINGS') && status !== 'RUNNING';
}

function nodeTasks(ctx: RouteContext) {
  const n = nodeOrThrow(ctx);
  const a = ctx.args;
  const source = a.source ?? 'archive';
  const start = intParam(a, 'start', 0);
  const limit = intParam(a, 'limit', 50);
  const errors = boolParam(a, 'errors');
  const vmid = a.vmid;
  const since = a.since === undefined ? undefined : intParam(a, 'since', 0);
  const until = a.until === undefined ? undefined : intParam(a, 'until', 0);
  const statusfilter = a.statusfilter?.split(/[,;\s]+/).filter(Boolean);
  const list = ctx.cluster.tasks
    .filter((t) => t.node === n.name && visible(ctx, t, `/nodes/${n.name}`))
    .filter((t) => {
      const running = taskRunning(t, ctx.nowMs);
      if (source === 'archive' && running) return false;
      if (source === 'active' && !running) return false;
      if (a.typefilter && t.type !== a.typefilter) return false;
      if (a.userfilter && !`${t.user}${t.tokenid ? `!${t.tokenid}` : ''}`.includes(a.userfilter)) return false;
      if (vmid && t.id !== vmid) return false;
      if (since !== undefined && t.starttime < since) return false;
      if (until !== undefined && t.starttime > until) return false;
      if (errors && (running || !isError(t.exitstatus))) return false;
      if (statusfilter && !running) {
        const kind = t.exitstatus === 'OK' ? 'ok' : t.exitstatus.startsWith('WARNINGS') ? 'warning' : 'error';
        if (!statusfilter.includes(kind)) return false;
      }
      return true;
    })
    .sort(newestFirst)
    .map((t) => taskListItem(t, ctx.nowMs));
  ctx.meta.total = list.length;
  return limit === 0 ? list.slice(start) : list.slice(start, start + limit);
}

function findTask(ctx: RouteContext): SimTask {
  const n = nodeOrThrow(ctx);
  const t = ctx.cluster.tasks.find((x) => x.upid === ctx.params.upid);
  if (!t || t.node !== n.name) throw paramError({ upid: 'no such task' });
  if (!visible(ctx, t, `/nodes/${n.name}`)) throw new SimHttpError(403, `Permission check failed (/nodes/${n.name}, Sys.Audit)`);
  return t;
}

function taskStatus(ctx: RouteContext) {
  const t = findTask(ctx);
  const o: Record<string, unknown> = { upid: t.upid, node: t.node, pid: t.pid, pstart: t.pstart, starttime: t.starttime, type: t.type, id: t.id, user: t.user };
  if (t.tokenid !== undefined) o.tokenid = t.tokenid;
  if (taskRunning(t, ctx.nowMs)) o.status = 'running';
  else {
    o.status = 'stopped';
    o.exitstatus = t.exitstatus;
  }
  return o;
}

function taskLogLines(ctx: RouteContext) {
  const t = findTask(ctx);
  const start = intParam(ctx.args, 'start', 0);
  const limit = intParam(ctx.args, 'limit', 50);
  let lines = taskLog(t, ctx.nowMs);
  if (lines.length === 0) lines = ['no content'];
  ctx.meta.total = lines.length;
  const numbered = lines.map((text, i) => ({ n: i + 1, t: text }));
  return limit === 0 ? numbered.slice(start) : numbered.slice(start, start + limit);
}

function stopTask(ctx: RouteContext) {
  const t = findTask(ctx);
  if (taskRunning(t, ctx.nowMs)) {
    t.exitstatus = 'interrupted by signal';
    t.endMs = ctx.nowMs;
    t.done = true;
    t.cleanup?.();
  }
  return null;
}

/** Routes of the task endpoints. */
export const taskRoutes: Route[] = [
  { method: 'GET', template: '/cluster/tasks', proxied: false, handle: clusterTasks },
  { method: 'GET', template: '/nodes/{node}/tasks', proxied: true, handle: nodeTasks },
  { method: 'GET', template: '/nodes/{node}/tasks/{upid}/status', proxied: true, handle: taskStatus },
  { method: 'GET', template: '/nodes/{node}/tasks/{upid}/log', proxied: true, handle: taskLogLines },
  { method: 'DELETE', template: '/nodes/{node}/tasks/{upid}', proxied: true, handle: stopTask },
];
