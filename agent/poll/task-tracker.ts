// Incremental reading of /cluster/tasks (pve-api.md §7.5): the list is a recent window that is
// returned whole every time, so we pass on only tasks that are new or whose state changed, de-duplicated by UPID.
import type { TaskRecord } from './cluster-snapshot.ts';

export interface TaskTrackerState {
  /** UPID → "status|endtime" as last passed on. */
  seen: Map<string, string>;
  /** Newest starttime seen so far (epoch s). */
  newest: number;
}

export function emptyTaskState(): TaskTrackerState {
  return { seen: new Map(), newest: 0 };
}

/** The tasks to store this cycle, and the state for the next one (only UPIDs still listed are kept). Pure. */
export function newTasks(tasks: TaskRecord[], state: TaskTrackerState): { tasks: TaskRecord[]; state: TaskTrackerState } {
  const seen = new Map<string, string>();
  const out: TaskRecord[] = [];
  let newest = state.newest;
  for (const t of tasks) {
    if (seen.has(t.upid)) continue; // the same UPID twice in one answer
    const key = `${t.status ?? ''}|${t.endtime ?? ''}`;
    seen.set(t.upid, key);
    if (t.starttime > newest) newest = t.starttime;
    if (state.seen.get(t.upid) !== key) out.push(t);
  }
  return { tasks: out, state: { seen, newest } };
}

/** Tasks that retention keeps (started within `days` of `ts`); older ones would be pruned at once. Pure. */
export function tasksWithinRetention(tasks: TaskRecord[], ts: number, days: number): TaskRecord[] {
  const from = ts - days * 86_400;
  return tasks.filter((t) => t.starttime >= from);
}
