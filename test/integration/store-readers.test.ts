// Readers never hurt the agent (issue 4 §4): a user's long read transaction must neither fail a
// cycle nor lose data. The hold is shortened here; PMI_READER_HOLD_MS=60000 runs the 60 s case.
import SqliteDatabase from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../agent/log/logger.ts';
import { STORE_CACHE_KIB, openDatabase, type Store } from '../../agent/store/open-database.ts';
import { writeSnapshot } from '../../agent/store/snapshot.repository.ts';
import { createMaintenance } from '../../agent/store/maintenance.ts';
import { syntheticSnapshot } from '../../scripts/bench/store-synthetic.ts';

const HOLD_MS = Number(process.env.PMI_READER_HOLD_MS ?? 3000);
const T0 = 1_764_201_600;
let dir: string;
let store: Store;
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pmi-readers-'));
  // A tiny autocheckpoint so checkpoints are attempted (and blocked by the reader) many times.
  store = await openDatabase(join(dir, 'pmi.db'), { walAutocheckpointPages: 50, busyTimeoutMs: 5000 });
});
afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('a reader holding a transaction open', () => {
  it('sets WAL and a busy timeout on the agent connection', () => {
    expect(store.sqlite.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(store.sqlite.pragma('busy_timeout', { simple: true })).toBe(5000);
  });

  it('keeps a 16 MiB page cache on the agent connection (its resident memory, #13)', () => {
    expect(STORE_CACHE_KIB).toBe(16_384);
    // negative: KiB rather than pages
    expect(store.sqlite.pragma('cache_size', { simple: true })).toBe(-16_384);
  });

  it(`does not fail writeSnapshot or maintenance nor lose rows while it reads (${HOLD_MS} ms hold)`, async () => {
    let clock = T0 * 1000;
    const m = createMaintenance({ db: store.db, log: createLogger({ level: 'silent' }), now: () => clock, retention: { rawHours: 1, fiveMinuteDays: 30, hourlyDays: 400 }, options: { windowSeconds: 3600, rawPruneSlackSeconds: 0 } });
    const cycle = async (i: number) => {
      const ts = T0 + i * 60;
      clock = (ts + 2) * 1000;
      await writeSnapshot(store.db, syntheticSnapshot({ ts, guests: 200 }));
      return m.run();
    };
    for (let i = 0; i < 5; i++) await cycle(i);

    const reader = new SqliteDatabase(join(dir, 'pmi.db'), { readonly: true });
    reader.exec('begin');
    const seenAtStart = (reader.prepare('select count(*) n from guest_samples').get() as { n: number }).n;

    // Cycles as fast as possible for the hold period, spanning hourly rollups and raw pruning:
    // the clock advances 60 s per cycle.
    const perCycle = syntheticSnapshot({ ts: T0, guests: 200 }).guests.filter((g) => g.status !== 'stopped' && !g.template).length;
    let i = 5;
    const until = Date.now() + HOLD_MS;
    let rollups = 0;
    let pruned = 0;
    const failures: unknown[] = [];
    while (Date.now() < until || i < 200) {
      try {
        const s = await cycle(i);
        rollups += s.windows.guest;
        pruned += s.pruned.guest_samples ?? 0;
      } catch (err) {
        failures.push(err);
      }
      i++;
    }
    // The reader still sees its snapshot: isolation, not blocking.
    expect((reader.prepare('select count(*) n from guest_samples').get() as { n: number }).n).toBe(seenAtStart);
    reader.exec('commit');
    reader.close();

    expect(failures).toEqual([]);
    expect(rollups).toBeGreaterThan(0);
    expect(pruned).toBeGreaterThan(0);
    // Nothing lost: every cycle's raw rows are either still in raw or rolled up into the 5m tier.
    const raw = (store.sqlite.prepare('select count(*) n from guest_samples').get() as { n: number }).n;
    const rolled = (store.sqlite.prepare('select coalesce(sum(samples), 0) n from guest_samples_5m').get() as { n: number }).n;
    const rawBeyondTiers = (store.sqlite.prepare("select count(*) n from guest_samples where ts >= (select cast(value as integer) from agent_state where key = 'rollup.guest.until')").get() as { n: number }).n;
    expect(rolled + rawBeyondTiers).toBe(i * perCycle);
    expect(raw).toBeGreaterThanOrEqual(rawBeyondTiers);
    // The WAL could be checkpointed completely once the reader was gone.
    const [ck] = store.sqlite.pragma('wal_checkpoint(TRUNCATE)') as Array<{ busy: number }>;
    expect(ck!.busy).toBe(0);
  }, HOLD_MS + 120_000);
});
