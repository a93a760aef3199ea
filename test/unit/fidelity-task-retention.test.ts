// Regression (issue 12 item 4): old tasks were inserted and pruned in the same cycle, and
// re-inserted at every start (a real PVE 6.4 task list ended with 0 stored tasks under the
// default retention). Tasks beyond retention.taskDays are no longer stored at all, and a longer
// taskDays keeps them through maintenance. Real SQLite, the real poller with a fake PVE answer.
import { afterEach, describe, expect, it } from 'vitest';
import { createPoller } from '../../agent/poll/poll-cycle.ts';
import { createLogger } from '../../agent/log/logger.ts';
import { createMaintenance } from '../../agent/store/maintenance.ts';
import { openDatabase, type Store } from '../../agent/store/open-database.ts';
import { writeSnapshot } from '../../agent/store/snapshot.repository.ts';
import { Config } from '../../agent/config/config.schema.ts';
import type { PveClient } from '../../agent/pve/pve-client.types.ts';

const log = createLogger({ level: 'silent' });
const NOW = Date.UTC(2026, 11, 7, 1, 0, 0);
// PVE 6.4-era tasks (UPID from pve-api.md §7.1, 2021-08-03) and one from last week
const upid = (node: string, start: number, type: string) => `UPID:${node}:000029DD:1599528B:${start.toString(16).toUpperCase()}:${type}:100:root@pam:`;
const OLD1 = 1627975784;
const OLD2 = OLD1 + 3600;
const RECENT = NOW / 1000 - 7 * 86_400;
const TASKS = [OLD1, OLD2, RECENT].map((s) => ({ upid: upid('pve1', s, 'qmstart'), node: 'pve1', type: 'qmstart', id: '100', user: 'root@pam', starttime: s, endtime: s + 5, status: 'OK' }));

function client(): PveClient {
  const answers: Record<string, unknown> = {
    '/version': { version: '6.4-8', release: '6.4', repoid: 'abcdef12' },
    '/cluster/status': [{ type: 'node', id: 'node/pve1', name: 'pve1', nodeid: 0, online: 1, local: 1 }],
    '/cluster/resources': [{ id: 'node/pve1', type: 'node', node: 'pve1', status: 'online' }],
    '/cluster/tasks': TASKS,
    '/nodes/pve1/status': { uptime: 1, cpu: 0.1, wait: 0, loadavg: ['0', '0', '0'], memory: { total: 1, used: 1, free: 0 } },
  };
  return {
    cluster: 'lab', timeoutMs: 1000, endpoint: () => 'https://pve1:8006',
    get: async <T>(path: string) => answers[path] as T,
    post: () => Promise.reject(new Error('no')), delete: () => Promise.reject(new Error('no')),
    takeStats: () => ({ requests: 0, errors: 0, retries: 0 }), close: () => Promise.resolve(),
  };
}

let store: Store | undefined;
afterEach(async () => {
  await store?.close();
  store = undefined;
});

async function cycle(taskDays: number): Promise<{ polled: number; stored: number }> {
  store ??= await openDatabase(':memory:');
  const poller = createPoller({ clients: new Map([['lab', client()]]), log, now: () => NOW, concurrency: 1, taskRetentionDays: taskDays });
  const [r] = await poller.pollAll();
  await writeSnapshot(store.db, r!.snapshot!);
  await createMaintenance({ db: store.db, log, now: () => NOW, retention: { rawHours: 48, fiveMinuteDays: 30, hourlyDays: 400, taskDays } }).run();
  const stored = (await store.db.selectFrom('tasks').select('upid').execute()).length;
  return { polled: r!.snapshot!.tasks.length, stored };
}

describe('task retention', () => {
  it('retention.taskDays defaults to 400 days', () => {
    expect(Config.shape.retention.parse(undefined).taskDays).toBe(400);
  });

  it('tasks older than taskDays are not stored (no insert-then-prune churn, no re-insert at start)', async () => {
    expect(await cycle(400)).toEqual({ polled: 1, stored: 1 });
    // a restart: a new poller sees the same list again and still stores none of the old ones
    expect(await cycle(400)).toEqual({ polled: 1, stored: 1 });
  });

  it('a PVE 6.4 task history is kept when taskDays covers it, through maintenance', async () => {
    expect(await cycle(3650)).toEqual({ polled: 3, stored: 3 });
  });
});
