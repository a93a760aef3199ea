// Agents, leases and handovers (issue 17 item 2). Every change of holder is a compare-and-set on
// the row as the agent read it, so two agents racing for a lease cannot both win; each runs in
// one transaction with its history row.
import type { Kysely } from 'kysely';
import type { Database } from './schema.ts';
import { fleetDb, type HandoverReason } from './fleet-schema.ts';
import type { LeaseRow } from '../fleet/lease-plan.ts';

export interface AgentRegistration {
  id: string;
  host: string;
  pid: number;
  nowMs: number;
  intervalSeconds: number;
  leaseMs: number;
  clusters: string[];
  publishCopy: boolean;
}

const num = (v: number | string | null): number | null => (v === null ? null : Number(v));

/** Inserts or refreshes this agent's row at start-up. */
export async function registerAgent(db: Kysely<Database>, a: AgentRegistration): Promise<void> {
  const row = {
    host: a.host, pid: a.pid, started_ms: a.nowMs, seen_ms: a.nowMs, stopped_ms: null,
    interval_seconds: a.intervalSeconds, lease_ms: a.leaseMs, clusters: JSON.stringify(a.clusters), publish_copy: a.publishCopy ? 1 : 0,
  };
  await fleetDb(db).insertInto('agents').values({ id: a.id, ...row }).onConflict((oc) => oc.column('id').doUpdateSet(row)).execute();
}

/** Marks this agent stopped (a clean stop). */
export async function markAgentStopped(db: Kysely<Database>, id: string, nowMs: number): Promise<void> {
  await fleetDb(db).updateTable('agents').set({ stopped_ms: nowMs, seen_ms: nowMs }).where('id', '=', id).execute();
}

/** Every lease row. */
export async function readLeases(db: Kysely<Database>): Promise<LeaseRow[]> {
  const rows = await fleetDb(db).selectFrom('cluster_leases').selectAll().execute();
  return rows.map((r) => ({
    cluster: r.cluster, holder: r.holder, acquiredMs: Number(r.acquired_ms), renewedMs: Number(r.renewed_ms),
    expiresMs: Number(r.expires_ms), releasedMs: num(r.released_ms),
  }));
}

/** Renews every unreleased lease of `agent` and its seen time: one transaction, two statements. */
export async function renewLeases(db: Kysely<Database>, agent: string, nowMs: number, leaseMs: number): Promise<number> {
  return fleetDb(db).transaction().execute(async (trx) => {
    const r = await trx.updateTable('cluster_leases').set({ renewed_ms: nowMs, expires_ms: nowMs + leaseMs }).where('holder', '=', agent).where('released_ms', 'is', null).executeTakeFirst();
    await trx.updateTable('agents').set({ seen_ms: nowMs }).where('id', '=', agent).execute();
    return Number(r.numUpdatedRows);
  });
}

/**
 * Takes the lease `name` if it is still as read (`prev`; none: no row yet). False when another
 * agent changed it first. A handover is recorded in lease_history.
 */
export async function acquireLease(db: Kysely<Database>, agent: string, name: string, prev: LeaseRow | undefined, reason: HandoverReason, nowMs: number, leaseMs: number): Promise<boolean> {
  const values = { holder: agent, acquired_ms: nowMs, renewed_ms: nowMs, expires_ms: nowMs + leaseMs, released_ms: null };
  return fleetDb(db).transaction().execute(async (trx) => {
    let ok: boolean;
    if (!prev) {
      const r = await trx.insertInto('cluster_leases').values({ cluster: name, ...values }).onConflict((oc) => oc.column('cluster').doNothing()).executeTakeFirst();
      ok = Number(r.numInsertedOrUpdatedRows ?? 0) === 1;
    } else {
      const r = await trx
        .updateTable('cluster_leases')
        .set(values)
        .where('cluster', '=', name)
        .where('holder', '=', prev.holder)
        .where('expires_ms', '=', prev.expiresMs)
        .executeTakeFirst();
      ok = Number(r.numUpdatedRows) === 1;
    }
    // the holder's own lapsed lease coming back is no handover
    if (ok && prev?.holder !== agent) {
      await trx.insertInto('lease_history').values({ cluster: name, at_ms: nowMs, from_agent: prev?.holder ?? null, to_agent: agent, reason }).onConflict((oc) => oc.doNothing()).execute();
    }
    return ok;
  });
}

/** Lets go of every lease of `agent` (a clean stop): others may take them at once. Returns the names. */
export async function releaseLeases(db: Kysely<Database>, agent: string, nowMs: number): Promise<string[]> {
  return fleetDb(db).transaction().execute(async (trx) => {
    const mine = await trx.selectFrom('cluster_leases').select('cluster').where('holder', '=', agent).where('released_ms', 'is', null).execute();
    if (mine.length === 0) return [];
    await trx.updateTable('cluster_leases').set({ released_ms: nowMs, expires_ms: nowMs }).where('holder', '=', agent).where('released_ms', 'is', null).execute();
    await trx.insertInto('lease_history').values(mine.map((m) => ({ cluster: m.cluster, at_ms: nowMs, from_agent: agent, to_agent: null, reason: 'released' as const }))).onConflict((oc) => oc.doNothing()).execute();
    return mine.map((m) => m.cluster);
  });
}

export interface FleetAgent {
  id: string;
  host: string;
  pid: number;
  startedMs: number;
  seenMs: number;
  stoppedMs: number | null;
  intervalSeconds: number;
  leaseMs: number;
  clusters: string[];
  publishCopy: boolean;
}

export interface Handover {
  cluster: string;
  atMs: number;
  from: string | null;
  to: string | null;
  reason: HandoverReason;
}

/** Agents, leases and the handovers since `sinceMs` (newest first, at most `limit`), for the agent page. */
export async function readFleet(db: Kysely<Database>, sinceMs: number, limit = 200): Promise<{ agents: FleetAgent[]; leases: LeaseRow[]; handovers: Handover[] }> {
  const f = fleetDb(db);
  const [agents, leases, history] = await Promise.all([
    f.selectFrom('agents').selectAll().orderBy('id').execute(),
    readLeases(db),
    f.selectFrom('lease_history').selectAll().where('at_ms', '>=', sinceMs).orderBy('at_ms', 'desc').limit(limit).execute(),
  ]);
  return {
    agents: agents.map((a) => ({
      id: a.id, host: a.host, pid: a.pid, startedMs: Number(a.started_ms), seenMs: Number(a.seen_ms), stoppedMs: num(a.stopped_ms),
      intervalSeconds: a.interval_seconds, leaseMs: a.lease_ms, clusters: JSON.parse(a.clusters) as string[], publishCopy: a.publish_copy === 1,
    })),
    leases,
    handovers: history.map((h) => ({ cluster: h.cluster, atMs: Number(h.at_ms), from: h.from_agent, to: h.to_agent, reason: h.reason })),
  };
}

/**
 * How many clusters held by other live agents (unexpired, unreleased leases) were polled in the
 * interval before `tickSec` but not yet since it: their holders' cycles of this interval are
 * still to store. A cluster not polled in the previous interval either (an agent that stopped
 * polling it, a new cluster) is not counted, so it never holds anyone up.
 */
export async function countClustersBehind(db: Kysely<Database>, me: string, nowMs: number, tickSec: number, previousTickSec: number): Promise<number> {
  const r = await fleetDb(db)
    .selectFrom('cluster_leases as l')
    .innerJoin('clusters as c', 'c.name', 'l.cluster')
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .where('l.holder', '<>', me)
    .where('l.released_ms', 'is', null)
    .where('l.expires_ms', '>', nowMs)
    .where('c.last_poll_at', '>=', previousTickSec)
    .where('c.last_poll_at', '<', tickSec)
    .executeTakeFirstOrThrow();
  return Number(r.n);
}
