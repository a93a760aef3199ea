// Issue 17 (scale bench): the lease keeper renews on a PostgreSQL connection of its own. The site
// build's collect stage runs six queries at once on the agent's pool (four connections by
// default), so a renewal on the shared pool waited behind them; here every connection of the pool
// is held and the keeper must still take and renew its leases.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type pg from 'pg';
import { createLeaseKeeper } from '../../agent/fleet/lease-keeper.ts';
import { createLogger } from '../../agent/log/logger.ts';
import { openPgStore, type PgStore } from '../../agent/store/open-store.ts';
import { SITE_LEASE } from '../../agent/store/fleet-schema.ts';
import { readLeases } from '../../agent/store/lease.repository.ts';
import { createTestDatabase } from '../support/store-backends.ts';

let target: Awaited<ReturnType<typeof createTestDatabase>>;
let store: PgStore;
beforeAll(async () => {
  target = await createTestDatabase();
  store = await openPgStore({ url: target.url, poolSize: 2 });
});
afterAll(async () => {
  await store?.close();
  await target?.drop();
});

describe('lease keeper connection', () => {
  it('takes and renews its leases while every connection of the store pool is busy', async () => {
    const busy: pg.PoolClient[] = [await store.pool.connect(), await store.pool.connect()];
    let t = Date.now();
    const keeper = createLeaseKeeper({
      db: store.leaseDb, log: createLogger({ level: 'silent' }), now: () => t, agentId: 'a1', host: 'h', pid: 1,
      clusters: ['lab'], intervalSeconds: 30, leaseMs: 30_000, shared: true, publishCopy: false, tickMs: 3_600_000,
    });
    try {
      expect(store.pool.idleCount).toBe(0);
      await keeper.start();
      expect(keeper.holds('lab')).toBe(true);
      expect(keeper.holds(SITE_LEASE)).toBe(true);
      t += 20_000; // past half the lease: the next tick renews
      await keeper.tick();
      const mine = (await readLeases(store.leaseDb)).filter((l) => l.holder === 'a1');
      expect(mine.map((l) => l.cluster).sort()).toEqual([SITE_LEASE, 'lab'].sort());
      expect(mine.map((l) => l.expiresMs)).toEqual([t + 30_000, t + 30_000]);
      expect(store.pool.waitingCount).toBe(0);
    } finally {
      for (const c of busy) c.release();
      await keeper.stop();
    }
  });
});
