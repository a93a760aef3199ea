// Agents sharing one PostgreSQL database run into each other (issue 17 item 2). Regression: a
// deadlock (or serialization failure, or lock not available) between two agents' transactions
// failed the cycle's store stage; the write queue now runs such a write again, a bounded number
// of times with a short backoff, and lets every other error through. The deadlock here is real:
// a second connection (the "other agent") and the queue's write lock two rows in opposite order.
import pg from 'pg';
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../agent/log/logger.ts';
import { createWriteQueue } from '../../agent/store/write-queue.ts';
import { openTestStore, type TestStore } from '../support/store-backends.ts';

const log = createLogger({ level: 'silent' });
let store: TestStore | undefined;
let other: pg.Client | undefined;

afterEach(async () => {
  await other?.end().catch(() => undefined);
  other = undefined;
  await store?.close();
  store = undefined;
});

/** Resolves once `pid`'s connection waits for a lock (pg_stat_activity), checking every 20 ms. */
async function waitForLockWait(client: pg.Client, notPid: number): Promise<void> {
  for (;;) {
    const r = await client.query(
      `select count(*)::int as n from pg_stat_activity where datname = current_database() and pid <> $1 and wait_event_type = 'Lock'`,
      [notPid],
    );
    if ((r.rows[0] as { n: number }).n > 0) return;
    await new Promise((res) => setTimeout(res, 20));
  }
}

describe('write queue on PostgreSQL', () => {
  it('a write that lost a real deadlock to another agent is run again and stored', async () => {
    store = await openTestStore('postgres');
    const db = store.db;
    await sql`insert into agent_state (key, value, updated_at) values ('a', '-', 0), ('b', '-', 0)`.execute(db);
    other = new pg.Client({ connectionString: store.location });
    await other.connect();
    // the other agent never runs the deadlock check first, so the queue's write is the victim
    await other.query(`set deadlock_timeout = '60s'`);
    const otherPid = (await other.query('select pg_backend_pid() as pid')).rows[0].pid as number;

    await other.query('begin');
    await other.query(`update agent_state set value = 'other' where key = 'a'`);

    const codes: string[] = [];
    let runs = 0;
    const queue = createWriteQueue({ log });
    const written = queue.submit('conflicting write', async () => {
      runs++;
      try {
        await db.transaction().execute(async (trx) => {
          await sql`update agent_state set value = 'queue' where key = 'b'`.execute(trx);
          await sql`update agent_state set value = 'queue' where key = 'a'`.execute(trx); // waits for the other agent
        });
      } catch (err) {
        codes.push((err as { code?: string }).code ?? '?');
        throw err;
      }
    }).catch((err: unknown) => err); // awaited below (a rejection must not go unhandled meanwhile)
    await waitForLockWait(other, otherPid);
    // the other agent now wants 'b': a deadlock, which PostgreSQL breaks by aborting the queue's write
    await other.query(`update agent_state set value = 'other' where key = 'b'`);
    await other.query('commit');

    expect(await written).toBe('written');
    expect(codes).toEqual(['40P01']);
    expect(runs).toBe(2);
    const rows = await sql<{ key: string; value: string }>`select key, value from agent_state where key in ('a', 'b') order by key`.execute(db);
    expect(rows.rows).toEqual([{ key: 'a', value: 'queue' }, { key: 'b', value: 'queue' }]);
    expect(queue.pending()).toBe(0);
  });

  it('other errors pass through at once (a real unique violation)', async () => {
    store = await openTestStore('postgres');
    const db = store.db;
    await sql`insert into agent_state (key, value, updated_at) values ('a', '-', 0)`.execute(db);
    let runs = 0;
    const queue = createWriteQueue({ log });
    const err = await queue.submit('duplicate', async () => {
      runs++;
      await sql`insert into agent_state (key, value, updated_at) values ('a', 'again', 0)`.execute(db);
    }).catch((e: unknown) => e);
    expect((err as { code?: string }).code).toBe('23505');
    expect(runs).toBe(1);
    expect(queue.pending()).toBe(0);
  });

  it('retries are bounded: a write that keeps conflicting is kept for later, not failed, and stored once it can be', async () => {
    const sleeps: number[] = [];
    const queue = createWriteQueue({ log, sleep: async (ms) => { sleeps.push(ms); }, conflictDelaysMs: [10, 20, 40], random: () => 0.5 });
    let runs = 0;
    let conflicting = true;
    const run = async () => {
      runs++;
      if (conflicting) throw Object.assign(new Error('could not serialize access due to concurrent update'), { code: '40001' });
    };
    expect(await queue.submit('always conflicting', run)).toBe('deferred');
    expect(runs).toBe(4);
    expect(sleeps).toEqual([10, 20, 40]);
    conflicting = false;
    expect(await queue.flush()).toBe(0);
    expect(runs).toBe(5);
  });
});
