// The site holder's wait for a coherent fleet cycle (issue 17 item 5), on both store backends:
// before its fleet duties the holder of the site lease waits until the other live agents'
// clusters have stored this interval (clusters.last_poll_at), at most a tenth of the interval;
// alone on its database (SQLite, the default) it does not look at all. Two agents here are two
// fleets (lease keepers) on their own connections to one database, as two processes would be.
import { afterEach, describe, expect, it } from 'vitest';
import { createFleet, type Fleet } from '../../agent/fleet/fleet.ts';
import { FLEET_CYCLE_WAIT_SHARE, awaitFleetCycle } from '../../agent/fleet/fleet-cycle.ts';
import { AgentConfig } from '../../agent/config/agent-config.schema.ts';
import type { Config } from '../../agent/config/config.schema.ts';
import { createLogger } from '../../agent/log/logger.ts';
import { STORE_BACKENDS, openTestStore, rawQuery, type TestStore } from '../support/store-backends.ts';
import { openPgStore, openStore } from '../../agent/store/open-store.ts';
import type { Kysely } from 'kysely';
import type { Database } from '../../agent/store/schema.ts';

const log = createLogger({ level: 'silent' });
const INTERVAL = 30;
const TICK = 1_800_000_010 - (1_800_000_010 % INTERVAL); // an interval boundary, epoch s
let clock = (TICK + 15) * 1000; // the holder's slot, half an interval in
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  clock = (TICK + 15) * 1000;
});

async function agent(db: Kysely<Database>, id: string, clusters: string[], agentCfg: Record<string, unknown> = { shared: true }): Promise<Fleet> {
  const config = { agent: AgentConfig.parse({ id, ...agentCfg }), clusters: clusters.map((name) => ({ name })) } as unknown as Config;
  const fleet = createFleet({ config, db, log, now: () => clock, intervalSeconds: INTERVAL, host: 'h', pid: 1 });
  await fleet.keeper.start();
  cleanups.push(() => fleet.keeper.stop());
  return fleet;
}

async function store(backend: (typeof STORE_BACKENDS)[number]): Promise<TestStore> {
  const s = await openTestStore(backend);
  cleanups.push(() => s.close());
  return s;
}

/** A second connection to the same database, as another agent process has. */
async function connect(s: TestStore): Promise<Kysely<Database>> {
  const other = s.kind === 'sqlite' ? await openStore({ paths: { database: s.location } }) : await openPgStore({ url: s.location }, { migrate: false });
  cleanups.push(() => other.close());
  return other.db;
}

const polled = (s: TestStore, name: string, at: number | null) =>
  rawQuery(s, 'insert into clusters (name, first_seen, last_poll_at) values (?, ?, ?) on conflict (name) do update set last_poll_at = excluded.last_poll_at', [name, TICK - 86_400, at]);

describe.each(STORE_BACKENDS)('the site holder\'s fleet cycle (%s)', (backend) => {
  it('waits until the other agent\'s clusters stored this interval, and no longer', async () => {
    const s = await store(backend);
    const holder = await agent(s.db, 'a', ['a1']);
    const other = await agent(await connect(s), 'b', ['b1', 'b2']);
    await holder.keeper.tick(); // sees b as live
    expect(holder.fleetDuties()).toBe(true);
    expect(other.fleetDuties()).toBe(false);
    await polled(s, 'a1', TICK + 15);
    await polled(s, 'b1', TICK + 1); // stored this interval
    await polled(s, 'b2', TICK - 29); // b's cycle of this interval is still to store it
    let looks = 0;
    const w = await awaitFleetCycle({ db: s.db, agentId: 'a', intervalSeconds: INTERVAL, now: () => clock, pollMs: 250, sleep: async (ms) => {
      clock += ms;
      if (++looks === 3) await polled(s, 'b2', TICK + 2); // b stores it while a waits
    } }, clock);
    expect(w).toEqual({ behind: 0, waitedMs: 750 });
    // the non-holder does not wait; the holder, caught up, looks once
    expect(await other.awaitFleetCycle(clock)).toBeUndefined();
    expect(await holder.awaitFleetCycle(clock)).toEqual({ behind: 0, waitedMs: 0 });
  });

  it('gives up after a tenth of the interval when an agent is late, and never waits for a cluster nobody polled last interval', async () => {
    const s = await store(backend);
    await agent(s.db, 'a', ['a1']);
    const other = await agent(await connect(s), 'b', ['b1', 'b2']);
    void other;
    await polled(s, 'b1', TICK - 20); // polled last interval, not yet this one: late
    await polled(s, 'b2', TICK - 300); // not polled for minutes (its cluster is down): not waited for
    const w = await awaitFleetCycle({ db: s.db, agentId: 'a', intervalSeconds: INTERVAL, now: () => clock, sleep: async (ms) => void (clock += ms) }, clock);
    expect(w).toEqual({ behind: 1, waitedMs: FLEET_CYCLE_WAIT_SHARE * INTERVAL * 1000 });
    await polled(s, 'b1', TICK - 300);
    expect((await awaitFleetCycle({ db: s.db, agentId: 'a', intervalSeconds: INTERVAL, now: () => clock }, clock)).behind).toBe(0);
  });
});

describe('alone on its database', () => {
  it('the agent (holding the site) never waits and never queries for it, even with clusters behind', async () => {
    const s = await store('sqlite');
    const alone = await agent(s.db, 'solo', ['c1'], {});
    await polled(s, 'c1', TICK - 20);
    expect(alone.fleetDuties()).toBe(true);
    expect(await alone.awaitFleetCycle(clock)).toBeUndefined();
  });

  it('a shared agent with no other live agent does not wait either', async () => {
    const s = await store('sqlite');
    const solo = await agent(s.db, 'solo', ['c1']);
    expect(solo.fleetDuties()).toBe(true);
    expect(await solo.awaitFleetCycle(clock)).toBeUndefined();
  });

  it('with agent.phaseSeconds set (the holder may fire before the others) the holder does not wait', async () => {
    const s = await store('sqlite');
    const holder = await agent(s.db, 'a', ['a1'], { shared: true, phaseSeconds: 0 });
    await agent(await connect(s), 'b', ['b1']);
    await holder.keeper.tick();
    await polled(s, 'b1', TICK - 20);
    expect(await holder.awaitFleetCycle(clock)).toBeUndefined();
  });
});
