// Regressions (issue 12 item 9): a user's write transaction froze the agent (better-sqlite3's busy
// timeout blocked the event loop 5 s per statement; cycles skipped, the store failed), and on a
// full disk the real SQLITE_FULL was hidden behind "cannot rollback - no transaction is active".
// A real second connection holds a write transaction; a real 3 MiB tmpfs fills up (room for the schema, then full).
import SqliteDatabase from 'better-sqlite3';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../agent/log/logger.ts';
import { openDatabase, type Store } from '../../agent/store/open-database.ts';
import { writeSnapshot } from '../../agent/store/snapshot.repository.ts';
import { BUSY_TIMEOUT_MS, createWriteQueue } from '../../agent/store/write-queue.ts';
import { syntheticSnapshot } from '../../scripts/bench/store-synthetic.ts';

const log = createLogger({ level: 'silent' });
const dirs: string[] = [];
const mounts: string[] = [];
let store: Store | undefined;
let holder: SqliteDatabase.Database | undefined;

afterEach(async () => {
  if (holder?.inTransaction) holder.exec('ROLLBACK');
  holder?.close();
  holder = undefined;
  await store?.close();
  store = undefined;
});
afterAll(() => {
  for (const m of mounts) execFileSync('umount', [m]);
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function lockedStore() {
  const dir = mkdtempSync(join(tmpdir(), 'pmi-locked-'));
  dirs.push(dir);
  const file = join(dir, 'pmi.sqlite');
  store = await openDatabase(file);
  holder = new SqliteDatabase(file);
  holder.exec('BEGIN IMMEDIATE'); // a user's write transaction, left open
  return store;
}

const T = 1_796_000_000;
const count = (s: Store, ts: number) => (s.sqlite.prepare('select count(*) n from guest_samples where ts = ?').get(ts) as { n: number }).n;

describe('a locked database', () => {
  it('the store waits for a lock only briefly inside SQLite (it blocks the event loop there)', async () => {
    const s = await lockedStore();
    expect(s.sqlite.pragma('busy_timeout', { simple: true })).toBe(BUSY_TIMEOUT_MS);
    expect(BUSY_TIMEOUT_MS).toBeLessThanOrEqual(250);
  });

  it('the event loop runs while a write waits: the user can finish their transaction, and the write lands', async () => {
    const s = await lockedStore();
    const q = createWriteQueue({ log, retryDelaysMs: [20, 40, 80, 160, 320, 640, 1280, 2560, 5120] });
    let turns = 0;
    const spin = setInterval(() => turns++, 1);
    // the user commits from a timer: it only runs if the agent's wait leaves the event loop free
    setTimeout(() => holder!.exec('COMMIT'), 1);
    const out = await q.submit('cycle', () => writeSnapshot(s.db, syntheticSnapshot({ ts: T, guests: 20 })));
    clearInterval(spin);
    expect(out).toBe('written');
    expect(holder!.inTransaction).toBe(false);
    expect(turns).toBeGreaterThan(0);
    expect(count(s, T)).toBeGreaterThan(0);
  });

  it('a single statement outside a transaction (the inbox\'s kind) waits asynchronously and lands once the user commits', async () => {
    const s = await lockedStore();
    setTimeout(() => holder!.exec('COMMIT'), 1);
    await s.db.insertInto('agent_state').values({ key: 'probe', value: '1', updated_at: T }).execute();
    expect(holder!.inTransaction).toBe(false);
    expect(s.sqlite.prepare("select value from agent_state where key = 'probe'").pluck().get()).toBe('1');
  });

  it('a write still locked out is kept and written at the next cycle, in order, nothing lost', async () => {
    const s = await lockedStore();
    const q = createWriteQueue({ log, retryDelaysMs: [1, 1] });
    const snap = (ts: number) => syntheticSnapshot({ ts, guests: 20 });
    expect(await q.submit('a', () => writeSnapshot(s.db, snap(T)))).toBe('deferred');
    expect(await q.submit('b', () => writeSnapshot(s.db, snap(T + 60)))).toBe('deferred');
    expect(q.pending()).toBe(2);
    holder!.exec('COMMIT');
    expect(await q.submit('c', () => writeSnapshot(s.db, snap(T + 120)))).toBe('written');
    expect(q.pending()).toBe(0);
    for (const ts of [T, T + 60, T + 120]) expect(count(s, ts), `ts ${ts}`).toBeGreaterThan(0);
    expect(s.sqlite.prepare('select last_sample_ts from clusters').pluck().get()).toBe(T + 120);
  });
});

describe('a full disk', () => {
  it('reports the real SQLITE_FULL, not "cannot rollback", and keeps the write for later', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pmi-full-'));
    dirs.push(dir);
    const mnt = join(dir, 'mnt');
    mkdirSync(mnt);
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=3m,mode=0700', 'tmpfs', mnt]);
    } catch (err) {
      throw new Error(`this test needs root to mount a 3 MiB tmpfs at ${mnt}: ${(err as Error).message}`);
    }
    mounts.push(mnt);
    store = await openDatabase(join(mnt, 'pmi.sqlite'), { cacheKiB: 256 });
    const q = createWriteQueue({ log, retryDelaysMs: [] });
    let err: unknown;
    for (let i = 0; i < 200 && !err; i++) {
      const snap = syntheticSnapshot({ ts: T + 60 * i, guests: 2000, stoppedEvery: 0 });
      await q.submit(`cycle ${i}`, () => writeSnapshot(store!.db, snap)).catch((e: unknown) => (err = e));
    }
    expect(err, 'the 3 MiB file system never filled up').toBeDefined();
    expect((err as { code?: string }).code).toBe('SQLITE_FULL');
    expect((err as Error).message).toMatch(/database or disk is full/);
    expect((err as Error).message).not.toMatch(/cannot rollback/);
    expect(q.pending()).toBe(1);
    expect(store.sqlite.inTransaction).toBe(false);
  });
});
