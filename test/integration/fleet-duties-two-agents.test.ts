// Fleet-wide duties run on one agent at a time (issue 17 item 2): the holder of the site lease.
// Regression: with two agents on one database, every agent's outbox dispatcher batched and sent
// the fleet's notifications (each one once per agent), and every agent pruned the fleet's health
// history. Two agents here are two fleets (lease keepers) on their own connections to one database.
import { sql, type Kysely } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { createFleet, type Fleet } from '../../agent/fleet/fleet.ts';
import { createOutboxDispatcher } from '../../agent/alerts/notify/outbox-dispatcher.ts';
import type { Sender } from '../../agent/alerts/notify/senders.ts';
import { AlertsConfig } from '../../agent/alerts/alerts-config.schema.ts';
import { HealthConfig } from '../../agent/config/health-config.schema.ts';
import { AgentConfig } from '../../agent/config/agent-config.schema.ts';
import type { Config } from '../../agent/config/config.schema.ts';
import { createHealthStage } from '../../agent/health/health-stage.ts';
import { createLogger } from '../../agent/log/logger.ts';
import { openDatabase } from '../../agent/store/open-database.ts';
import { openPgStore } from '../../agent/store/open-store.ts';
import { alertsDb, undeliveredCount, writeAlertChanges } from '../../agent/store/alerts.repository.ts';
import type { Database } from '../../agent/store/schema.ts';
import { STORE_BACKENDS, createTestDatabase, type Backend } from '../support/store-backends.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const log = createLogger({ level: 'silent' });
const T0 = 1_800_000_000;
let clock = T0 * 1000;
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  clock = T0 * 1000;
});

/** One database, and a way to connect to it as another agent process would. */
async function database(backend: Backend): Promise<() => Promise<Kysely<Database>>> {
  if (backend === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'pmi-duties-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    return async () => {
      const s = await openDatabase(join(dir, 'pmi.sqlite'));
      cleanups.push(() => s.close());
      return s.db;
    };
  }
  const tdb = await createTestDatabase();
  cleanups.push(() => tdb.drop());
  return async () => {
    const s = await openPgStore({ url: tdb.url });
    cleanups.push(() => s.close());
    return s.db;
  };
}

/** An agent of the fleet: its own connection and lease keeper, started (it takes what is free). */
async function agent(connect: () => Promise<Kysely<Database>>, id: string): Promise<{ db: Kysely<Database>; fleet: Fleet }> {
  const db = await connect();
  const config = { agent: AgentConfig.parse({ id, shared: true }), clusters: [{ name: 'c1' }] } as unknown as Config;
  const fleet = createFleet({ config, db, log, now: () => clock, intervalSeconds: 10, host: 'h', pid: 1 });
  await fleet.keeper.start();
  cleanups.push(() => fleet.keeper.stop());
  return { db, fleet };
}

const event = { status: 'firing', kind: 'firing', alertname: 'node-offline', severity: 'critical', summary: 'node pve1 is offline', labels: { alertname: 'node-offline', cluster: 'c1', severity: 'critical' }, fingerprint: '{"cluster":"c1"}', startsAt: '2026-12-07T00:00:00.000Z', endsAt: null, runbook: null };

describe.each(STORE_BACKENDS)('two agents on one database (%s)', (backend) => {
  it('only the site lease holder sends the fleet\'s notifications; the next holder takes over', async () => {
    const connect = await database(backend);
    const a = await agent(connect, 'a');
    const b = await agent(connect, 'b');
    expect([a.fleet.fleetDuties(), b.fleet.fleetDuties()]).toEqual([true, false]);

    const cfg = AlertsConfig.parse({ targets: [{ name: 'hook', type: 'webhook', url: 'https://127.0.0.1:9/' }], routes: [{ targets: ['hook'] }] });
    const sent: string[] = [];
    const dispatcher = (who: string, db: Kysely<Database>, fleet: Fleet) => createOutboxDispatcher({
      db, senders: new Map<string, Sender>([['hook', async () => { sent.push(who); }]]), routes: cfg.routes, now: () => clock, log,
      retryBaseMs: 5000, retryMaxMs: 600_000, intervalMs: 3_600_000, delivers: () => fleet.fleetDuties(),
    });
    const enqueue = (at: number) => writeAlertChanges(alertsDb(a.db), { upserts: [], deletes: [], transitions: [], queue: [{ target: 'hook', groupKey: '0:["node-offline","c1"]', kind: 'firing', event, createdAt: at, dueAt: at }] });

    await enqueue(T0 - 60);
    await dispatcher('b', b.db, b.fleet).kick();
    expect(sent).toEqual([]);
    const queued = await sql<{ n: number }>`select count(*) as n from alert_notify_queue where batched_into is null`.execute(a.db);
    expect(Number(queued.rows[0]!.n)).toBe(1); // not even batched by the agent without the lease
    await dispatcher('a', a.db, a.fleet).kick();
    expect(sent).toEqual(['a']);

    // a stops: b takes the site lease over, and the duty with it
    await a.fleet.keeper.stop();
    clock += 1000;
    await b.fleet.pollOnly(); // the cycle's lease tick
    expect(b.fleet.fleetDuties()).toBe(true);
    await enqueue(T0);
    await dispatcher('b', b.db, b.fleet).kick();
    expect(sent).toEqual(['a', 'b']);
    expect(await undeliveredCount(alertsDb(b.db))).toBe(0);
  });

  it('only the site lease holder prunes the fleet\'s health history', async () => {
    const connect = await database(backend);
    const a = await agent(connect, 'a');
    const b = await agent(connect, 'b');
    await sql`insert into ceph_health_changes (cluster_id, ts, from_health, to_health, checks) values (1, ${T0 - 400 * 86_400}, 'HEALTH_OK', 'HEALTH_WARN', '[]')`.execute(a.db);
    const stage = (db: Kysely<Database>, fleet: Fleet) => createHealthStage({
      clients: new Map(), db, log, now: () => clock, intervalSeconds: 10, config: HealthConfig.parse({}), retentionDays: 30, prunes: () => fleet.fleetDuties(),
    });
    const left = async () => Number((await sql<{ n: number }>`select count(*) as n from ceph_health_changes`.execute(a.db)).rows[0]!.n);

    await stage(b.db, b.fleet).run([]);
    expect(await left()).toBe(1);
    await stage(a.db, a.fleet).run([]);
    expect(await left()).toBe(0);
  });
});
