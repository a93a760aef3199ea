// Pure (issue 14 item 5): which guests' snapshot lists to read this cycle. Every guest once per
// period (a day by default), spread evenly over the cycles of the period by the health tiers'
// scheduler, and — out of turn — every guest whose snapshot, rollback or delete-snapshot task
// ended since its list was last read. Each read is one request (GET …/snapshot).
import { dueReads, periodCycles } from '../health/health-schedule.ts';
import type { GuestState, TaskRecord } from '../poll/cluster-snapshot.ts';

export const SNAPSHOT_TASK_TYPES = new Set(['qmsnapshot', 'vzsnapshot', 'qmrollback', 'vzrollback', 'qmdelsnapshot', 'vzdelsnapshot']);

export interface SnapshotRead {
  vmid: number;
  type: 'qemu' | 'lxc';
  node: string;
  /** Why: "schedule" or "task" (a snapshot task ended since the last read). */
  why: 'schedule' | 'task';
}

export interface PlanInput {
  cycle: number;
  intervalSeconds: number;
  periodSeconds: number;
  guests: readonly Pick<GuestState, 'vmid' | 'type' | 'node'>[];
  tasks: readonly Pick<TaskRecord, 'type' | 'vmid' | 'endtime'>[];
  onlineNodes: ReadonlySet<string>;
  /** vmid → when its list was last read. */
  fetchedAt: ReadonlyMap<number, number>;
}

export function planSnapshotReads(i: PlanInput): SnapshotRead[] {
  const period = periodCycles(i.periodSeconds, i.intervalSeconds);
  const due = dueReads(i.cycle, i.guests.map((g) => ({ key: String(g.vmid), periodCycles: period })));
  const urgent = new Set<number>();
  for (const t of i.tasks) {
    if (t.vmid === null || t.endtime === null || !SNAPSHOT_TASK_TYPES.has(t.type)) continue;
    const last = i.fetchedAt.get(t.vmid);
    if (last === undefined || t.endtime >= last) urgent.add(t.vmid);
  }
  const out: SnapshotRead[] = [];
  for (const g of i.guests) {
    if (!i.onlineNodes.has(g.node)) continue;
    if (urgent.has(g.vmid)) out.push({ vmid: g.vmid, type: g.type, node: g.node, why: 'task' });
    else if (due.has(String(g.vmid))) out.push({ vmid: g.vmid, type: g.type, node: g.node, why: 'schedule' });
  }
  return out;
}
