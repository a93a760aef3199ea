// Fills a real database the way the agent does (writeSnapshot + writePollRun + maintenance each
// cycle, fake clock) over simulated days, with the events the example queries look for.
import type { Store } from '../../agent/store/open-database.ts';
import { writePollRun, writeSnapshot } from '../../agent/store/snapshot.repository.ts';
import { createMaintenance } from '../../agent/store/maintenance.ts';
import { createLogger } from '../../agent/log/logger.ts';
import type { TaskRecord } from '../../agent/poll/cluster-snapshot.ts';
import { syntheticSnapshot } from '../../scripts/bench/store-synthetic.ts';

export interface FillOptions {
  start: number;
  days: number;
  intervalSeconds: number;
  guests: number;
}

/** Runs the simulated cycles; returns the last sample time. */
export async function fillStore(store: Store, o: FillOptions): Promise<number> {
  let clock = o.start * 1000;
  const m = createMaintenance({ db: store.db, sqlite: store.sqlite, log: createLogger({ level: 'silent' }), now: () => clock, retention: { rawHours: 48, fiveMinuteDays: 30, hourlyDays: 400 } });
  const cycles = Math.floor((o.days * 86_400) / o.intervalSeconds);
  const tasks: TaskRecord[] = [];
  const day = (d: number) => o.start + d * 86_400;
  const task = (t: number, type: string, vmid: number, user: string, status: string, ok: boolean): TaskRecord => ({
    upid: `UPID:pve1:0000${t.toString(16).toUpperCase()}:00000000:${t.toString(16).toUpperCase()}:${type}:${vmid}:${user}:`,
    node: 'pve1', type, objectId: String(vmid), vmid, user, tokenid: null, starttime: t, endtime: t + 42, status, ok,
  });
  let ts = o.start;
  for (let i = 0; i < cycles; i++) {
    ts = o.start + i * o.intervalSeconds;
    clock = (ts + 3) * 1000;
    const stopped = new Set<number>();
    // 101 crashes on day 2 (no action, no task) and is started again on day 3.
    if (ts >= day(2) && ts < day(3)) stopped.add(101);
    // 102 is stopped on day 4 by an inbox action that ran a qmstop task.
    if (ts >= day(4)) stopped.add(102);
    if (ts === day(1)) tasks.push(task(ts - 100, 'vzdump', 0, 'backup@pve', 'job errors', false));
    if (ts === day(3)) tasks.push(task(ts - 100, 'qmmigrate', 103, 'alice@pve', 'migration aborted', false));
    if (ts === day(4)) {
      tasks.push(task(ts - 60, 'qmstop', 102, 'pmi@pve', 'OK', true));
      store.sqlite
        .prepare(`insert into actions (id, cluster, vmid, guest_type, node, action, reason, submitter, state, outcome, upid, exitstatus, received_at, posted_at, task_ended_at, finished_at, updated_at)
                  values (?, 'lab', 102, 'qemu', 'pve3', 'stop', 'maintenance window', 'alice', 'done', 'done', ?, 'OK', ?, ?, ?, ?, ?)`)
        .run('req-0001', tasks.at(-1)!.upid, ts - 70, ts - 60, ts - 18, ts - 10, ts - 10);
    }
    const snap = syntheticSnapshot({ ts, guests: o.guests, stopped, tasks: tasks.slice(-20) });
    await writeSnapshot(store.db, snap);
    await writePollRun(store.db, { cluster: 'lab', startedAt: ts, durationMs: 150 + (i % 7) * 10, requests: 5, errors: i % 97 === 0 ? 1 : 0, endpoint: snap.endpoint, ok: i % 97 !== 0, error: i % 97 === 0 ? { code: 'PVE_TIMEOUT', message: 'timed out' } : null });
    await m.run();
  }
  return ts;
}
