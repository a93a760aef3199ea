// Issue 17 item 1: on PostgreSQL the sample tables are partitioned by time; maintenance keeps
// partitions a week ahead and prunes a tier by dropping whole partitions past its retention
// (never deleting rows one by one), raw ones only once rolled up.
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../agent/log/logger.ts';
import { createMaintenance } from '../../agent/store/maintenance.ts';
import { writeSnapshot } from '../../agent/store/snapshot.repository.ts';
import { listPartitions, partitionName, spanStarts } from '../../agent/store/pg-partitions.ts';
import { syntheticSnapshot } from '../../scripts/bench/store-synthetic.ts';
import { openTestStore, rawQuery, type TestStore } from '../support/store-backends.ts';

const DAY = 86_400;
const T0 = 1_764_201_600; // 2025-11-27T00:00:00Z, a day boundary
let store: TestStore;
let clock = T0 * 1000;
beforeEach(async () => {
  clock = T0 * 1000;
  store = await openTestStore('postgres', { now: () => clock });
});
afterEach(async () => {
  await store?.close();
});

describe('time partitions on PostgreSQL', () => {
  it('spans are epoch-aligned and named by their first day (pure)', () => {
    expect(spanStarts(DAY, T0 + 5, T0 + DAY + 5)).toEqual([T0, T0 + DAY]);
    expect(partitionName('guest_samples', T0)).toBe('guest_samples_p20251127');
  });

  it('puts each day of raw samples in its own partition and drops whole days past retention, only once rolled up', async () => {
    const m = createMaintenance({ db: store.db, log: createLogger({ level: 'silent' }), now: () => clock, retention: { rawHours: 24, fiveMinuteDays: 30, hourlyDays: 400 }, options: { windowSeconds: 3600, maxWindowsPerRun: 3 } });
    // a poll every hour over four days (few, to stay quick), maintenance after each like the agent
    for (let ts = T0; ts < T0 + 4 * DAY; ts += 3600) {
      clock = (ts + 2) * 1000;
      await writeSnapshot(store.db, syntheticSnapshot({ ts, guests: 3, nodes: 1 }));
      await m.run();
    }
    const { rows: where } = await sql<{ part: string; n: number }>`select tableoid::regclass::text as part, count(*) as n from guest_samples group by 1 order by 1`.execute(store.db);
    // days 0 and 1 ended more than 24 h ago and were rolled up: dropped whole; days 2 and 3 stay
    expect(where.map((r) => r.part)).toEqual([partitionName('guest_samples', T0 + 2 * DAY), partitionName('guest_samples', T0 + 3 * DAY)]);
    const parts = (await listPartitions(store.db, 'guest_samples')).map((p) => p.name);
    expect(parts).not.toContain(partitionName('guest_samples', T0));
    expect(parts).not.toContain(partitionName('guest_samples', T0 + DAY));
    // partitions exist a week ahead of the clock
    expect(parts).toContain(partitionName('guest_samples', T0 + 10 * DAY));
    // the dropped days live on in the tiers
    expect((await rawQuery<{ n: number }>(store, 'select count(*) as n from guest_samples_1h where ts < ?', [T0 + 2 * DAY]))[0]!.n).toBeGreaterThan(0);
    // nothing went to the default partition
    expect((await rawQuery<{ n: number }>(store, 'select count(*) as n from guest_samples_default'))[0]!.n).toBe(0);
  }, 300_000); // ~100 cycles with maintenance on a shared machine

  it('takes rows outside every partition into the default one and prunes them there by age', async () => {
    const m = createMaintenance({ db: store.db, log: createLogger({ level: 'silent' }), now: () => clock, retention: { rawHours: 1, fiveMinuteDays: 1, hourlyDays: 2 }, options: { windowSeconds: 3600 } });
    const old = T0 - 100 * DAY; // long before the partitions made at open
    await writeSnapshot(store.db, syntheticSnapshot({ ts: old, guests: 2, nodes: 1 }));
    expect((await rawQuery<{ n: number }>(store, 'select count(*) as n from guest_samples_default'))[0]!.n).toBeGreaterThan(0);
    for (let i = 0; i < 5; i++) await m.run(); // roll the old window up, then prune it
    expect((await rawQuery<{ n: number }>(store, 'select count(*) as n from guest_samples_default'))[0]!.n).toBe(0);
  });
});
