// Writes one cluster's poll into the database: one transaction per cluster per cycle.
import { sql, type Kysely, type Transaction } from 'kysely';
import type { ClusterSnapshot, GuestState } from '../poll/cluster-snapshot.ts';
import type { Database, GuestsTable } from './schema.ts';
import { bulkInsert } from './sqlite-dialect.ts';
import { undoClockAhead } from './clock-step.repository.ts';
import { isPostgres } from './pg-dialect.ts';
import { writeCycleStatement } from './pg-snapshot-writer.ts';
import { guestStateTexts, upsertGuestState } from './guest-state.repository.ts';

export { ensureCluster, getClusterId, writePollRun, type PollRunRecord } from './cluster.repository.ts';
import type { PollRunRecord } from './cluster.repository.ts';

type Trx = Transaction<Database>;

/** A guests row as last written (first_seen and changed_at too: guest_state carries them, guest-state.repository.ts). */
export type KnownGuest = GuestFields & Pick<GuestsTable, 'removed_at' | 'first_seen' | 'changed_at'>;
/**
 * PostgreSQL only: the guests rows as last written, per database and cluster id, which the
 * one-statement cycle (pg-snapshot-writer.ts) plans against and builds `guest_state` from. Only
 * writeSnapshot writes `guests`; the copy is replaced after a commit and dropped after a failed
 * write (then re-read from the database). SQLite keeps no copy: a cycle reads its cluster's rows
 * inside its transaction (an in-process read of ~200 rows by primary key), which was ~6 MB of the
 * agent's heap at 10,000 guests (#13 item 7).
 */
const knownGuests = new WeakMap<Kysely<Database>, Map<number, Map<number, KnownGuest>>>();

/** Guests' inventory columns compared to decide whether a guest row changed. */
export const GUEST_FIELDS = ['type', 'node', 'name', 'status', 'template', 'tags', 'pool', 'lock', 'hastate', 'maxcpu', 'maxmem', 'maxdisk'] as const;
export type GuestFields = Pick<GuestsTable, (typeof GUEST_FIELDS)[number]>;

export const GUEST_SAMPLE_COLUMNS = ['ts', 'cluster_id', 'vmid', 'uptime', 'cpu', 'mem', 'memhost', 'disk', 'netin_bps', 'netout_bps', 'diskread_bps', 'diskwrite_bps'] as const;
export const NODE_SAMPLE_COLUMNS = ['ts', 'cluster_id', 'node', 'uptime', 'cpu', 'iowait', 'load1', 'load5', 'load15', 'mem_total', 'mem_used', 'mem_available', 'swap_total', 'swap_used', 'rootfs_total', 'rootfs_used', 'netin_bps', 'netout_bps'] as const;
export const GUEST_COLUMNS = ['cluster_id', 'vmid', ...GUEST_FIELDS, 'first_seen', 'changed_at', 'removed_at'] as const;
export const STORAGE_SAMPLE_COLUMNS = ['ts', 'cluster_id', 'node', 'storage', 'used', 'total'] as const;

/** Whole bytes and bytes/s: fractional rates would be stored as 8-byte REALs in INTEGER columns. */
export const int = (v: number | null | undefined): number | null => (v == null || !Number.isFinite(v) ? null : Math.round(v));
const num = (v: number | null | undefined): number | null => (v == null || !Number.isFinite(v) ? null : v);
const bool = (v: boolean | null | undefined): number | null => (v == null ? null : v ? 1 : 0);

/** A guest is sampled unless it is stopped or a template: their status lives in `guests`. */
export function isSampled(g: GuestState): boolean {
  return g.status !== 'stopped' && !g.template;
}

/**
 * Where each cluster stood after this process's last write of it on PostgreSQL: its id and the
 * `last_sample_ts` it set. The next cycle is then one statement (pg-snapshot-writer.ts) that
 * writes only if the row still says so — no other agent wrote the cluster meanwhile (a lease
 * handover) and the clock did not step back; otherwise the full path below runs.
 */
const pgWritten = new WeakMap<Kysely<Database>, Map<string, { id: number; lastTs: number }>>();

/**
 * Writes a cluster snapshot in ONE transaction: cluster row, nodes, guests (only rows that
 * changed, with status-change rows and removed_at for vanished guests), raw guest/node/storage
 * samples (appends to the time-major tables), storages and tasks (deduplicated by UPID).
 * Sets clusters.last_sample_ts = snap.ts, which the *_latest views join on.
 * On PostgreSQL, every cycle after this process's first of a cluster is one statement.
 *
 * `run`, when given, is the cycle's poll run: that one statement writes it too (as writePollRun
 * would) and true is returned. False: the run was not written (SQLite, or the full path ran) and
 * the caller writes it with writePollRun.
 */
export async function writeSnapshot(db: Kysely<Database>, snap: ClusterSnapshot, run?: { record: PollRunRecord; startedAt: number }): Promise<boolean> {
  const pg = isPostgres(db);
  let cache = pg ? knownGuests.get(db) : undefined;
  if (pg && !cache) knownGuests.set(db, (cache = new Map()));
  let written = pg ? pgWritten.get(db) : undefined;
  if (pg && !written) pgWritten.set(db, (written = new Map()));
  const last = written?.get(snap.cluster);
  const lastGuests = last && cache!.get(last.id);
  if (last && lastGuests && snap.ts > last.lastTs) {
    const plan = planGuests(last.id, snap, lastGuests);
    let ok: boolean;
    try {
      ok = await writeCycleStatement(db, { clusterId: last.id, lastTs: last.lastTs, snap, plan, ...(run && { run }) });
    } catch (err) {
      cache!.delete(last.id);
      written!.delete(snap.cluster);
      throw err;
    }
    if (ok) {
      cache!.set(last.id, plan.now);
      last.lastTs = snap.ts;
      return run !== undefined;
    }
    // someone else wrote this cluster since, or the row is gone: start from what the database holds
    cache!.delete(last.id);
    written!.delete(snap.cluster);
  }
  let clusterId: number | undefined;
  let next: Map<number, KnownGuest> | undefined;
  try {
    await db.transaction().execute(async (trx) => {
      await undoClockAhead(trx, snap.cluster, snap.ts);
      clusterId = await upsertCluster(trx, snap);
      await upsertNodes(trx, clusterId, snap);
      next = await writeGuests(db, trx, clusterId, snap, cache?.get(clusterId));
      await writeSamples(db, trx, clusterId, snap);
      if (pg) {
        const state = guestStateTexts(snap, next);
        await upsertGuestState(sql`values (${clusterId}::int8, ${snap.ts}::int8, ${state.latest}, ${state.inventory})`).execute(trx);
      }
    });
  } catch (err) {
    if (clusterId !== undefined) cache?.delete(clusterId);
    written?.delete(snap.cluster);
    throw err;
  }
  if (clusterId !== undefined && next) {
    cache?.set(clusterId, next);
    written?.set(snap.cluster, { id: clusterId, lastTs: snap.ts });
  }
  return false;
}

/** The raw guest sample rows of a cycle (GUEST_SAMPLE_COLUMNS order). */
export function guestSampleRows(clusterId: number, snap: ClusterSnapshot): unknown[][] {
  return snap.guests.filter(isSampled).map((g) => [
    snap.ts, clusterId, g.vmid, int(g.uptime), num(g.cpu), int(g.mem), int(g.memhost), int(g.disk),
    int(g.netinBps), int(g.netoutBps), int(g.diskreadBps), int(g.diskwriteBps),
  ]);
}

/** The raw node sample rows of a cycle (NODE_SAMPLE_COLUMNS order): online nodes only. */
export function nodeSampleRows(clusterId: number, snap: ClusterSnapshot): unknown[][] {
  return snap.nodes.filter((n) => n.status === 'online').map((n) => [
    snap.ts, clusterId, n.node, int(n.uptime), num(n.cpu), num(n.iowait), num(n.load1), num(n.load5), num(n.load15),
    int(n.memTotal), int(n.memUsed), int(n.memAvailable), int(n.swapTotal), int(n.swapUsed),
    int(n.rootfsTotal), int(n.rootfsUsed), int(n.netinBps), int(n.netoutBps),
  ]);
}

/** The raw storage sample rows of a cycle (STORAGE_SAMPLE_COLUMNS order). */
export function storageSampleRows(clusterId: number, snap: ClusterSnapshot): unknown[][] {
  return snap.storages.filter((s) => s.used != null || s.total != null).map((s) => [snap.ts, clusterId, s.node, s.storage, int(s.used), int(s.total)]);
}

async function writeSamples(db: Kysely<Database>, trx: Trx, clusterId: number, snap: ClusterSnapshot): Promise<void> {
  await bulkInsert(db, trx, 'guest_samples', GUEST_SAMPLE_COLUMNS, guestSampleRows(clusterId, snap), { onConflict: 'ignore' });
  await bulkInsert(db, trx, 'node_samples', NODE_SAMPLE_COLUMNS, nodeSampleRows(clusterId, snap), { onConflict: 'ignore' });
  await upsertStorages(trx, clusterId, snap);
  await bulkInsert(db, trx, 'storage_samples', STORAGE_SAMPLE_COLUMNS, storageSampleRows(clusterId, snap), { onConflict: 'ignore' });
  await upsertTasks(trx, clusterId, snap);
}

/** The clusters columns a cycle sets (besides name, first_seen and last_sample_ts). */
export function clusterValues(snap: ClusterSnapshot) {
  const i = snap.info;
  return {
    pve_name: i.pveName,
    pve_version: i.pveVersion,
    pve_release: i.pveRelease,
    quorate: bool(i.quorate),
    node_count: i.nodeCount,
    endpoint: snap.endpoint,
    last_poll_at: snap.ts,
    last_ok_at: snap.ts,
    last_error: null,
  };
}

async function upsertCluster(trx: Trx, snap: ClusterSnapshot): Promise<number> {
  const values = clusterValues(snap);
  const row = await trx
    .insertInto('clusters')
    .values({ name: snap.cluster, first_seen: snap.ts, last_sample_ts: snap.ts, ...values })
    .onConflict((oc) =>
      oc.column('name').doUpdateSet({
        ...values,
        // the newest cycle's, not max(old, new): after a backward clock step max() froze the
        // *_latest views on the cycle stamped by the clock that ran ahead (undoClockAhead)
        last_sample_ts: sql<number>`excluded.last_sample_ts`,
      }),
    )
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

async function upsertNodes(trx: Trx, clusterId: number, snap: ClusterSnapshot): Promise<void> {
  if (snap.nodes.length === 0) return;
  // Offline nodes report almost nothing: keep the last known hardware facts (coalesce).
  // The value type differs per column; the SQL is the same. any is deliberate.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const keep = (c: string) => sql<any>`coalesce(excluded.${sql.ref(c)}, nodes.${sql.ref(c)})`;
  await trx
    .insertInto('nodes')
    .values(nodeValues(clusterId, snap))
    .onConflict((oc) =>
      oc.columns(['cluster_id', 'node']).doUpdateSet((eb) => ({
        status: eb.ref('excluded.status'),
        nodeid: keep('nodeid'), ip: keep('ip'), level: keep('level'), maxcpu: keep('maxcpu'),
        mem_total: keep('mem_total'), swap_total: keep('swap_total'), rootfs_total: keep('rootfs_total'),
        uptime: eb.ref('excluded.uptime'),
        cpu_model: keep('cpu_model'), kernel: keep('kernel'), pve_version: keep('pve_version'), hastate: eb.ref('excluded.hastate'),
        last_seen: eb.ref('excluded.last_seen'),
      })),
    )
    .execute();
}

/** The nodes rows of a cycle. */
export function nodeValues(clusterId: number, snap: ClusterSnapshot) {
  return snap.nodes.map((n) => ({
    cluster_id: clusterId, node: n.node, status: n.status, nodeid: n.nodeid, ip: n.ip, level: n.level,
    maxcpu: n.maxcpu, mem_total: int(n.memTotal), swap_total: int(n.swapTotal), rootfs_total: int(n.rootfsTotal),
    uptime: int(n.uptime), cpu_model: n.cpuModel, kernel: n.kernel, pve_version: n.pveVersion, hastate: n.hastate,
    first_seen: snap.ts, last_seen: snap.ts,
  }));
}

/** The inventory columns of a guest as stored (tags joined with ';' like Proxmox does). */
export function guestFields(g: GuestState): GuestFields {
  return {
    type: g.type, node: g.node, name: g.name, status: g.status, template: g.template ? 1 : 0,
    tags: g.tags.length ? g.tags.join(';') : null, pool: g.pool, lock: g.lock, hastate: g.hastate,
    maxcpu: num(g.maxcpu), maxmem: int(g.maxmem), maxdisk: int(g.maxdisk),
  };
}

/** What a cycle changes in `guests`, computed against the rows as last written (pure). */
export interface GuestPlan {
  /** New guests (GUEST_COLUMNS order). */
  inserts: unknown[][];
  /** Guests whose inventory changed or that came back (GUEST_COLUMNS order; first_seen is not rewritten). */
  updates: unknown[][];
  /** Guests no longer listed (removed_at is set). */
  gone: number[];
  /** guest_status_changes rows (cluster_id, vmid, ts, from_status, to_status, node). */
  statusChanges: unknown[][];
  /** The guests rows as they are once the plan is written (the cache). */
  now: Map<number, KnownGuest>;
}

export const GUEST_STATUS_CHANGE_COLUMNS = ['cluster_id', 'vmid', 'ts', 'from_status', 'to_status', 'node'] as const;

/** Compares the cycle's guests with the rows as last written. */
export function planGuests(clusterId: number, snap: ClusterSnapshot, byVmid: ReadonlyMap<number, KnownGuest>): GuestPlan {
  const ts = snap.ts;
  const now = new Map<number, KnownGuest>();
  const seen = new Set<number>();
  const row = (vmid: number, fields: GuestFields, firstSeen: number) => {
    const r: GuestsTable = { cluster_id: clusterId, vmid, ...fields, first_seen: firstSeen, changed_at: ts, removed_at: null };
    return GUEST_COLUMNS.map((c) => r[c]);
  };
  const plan: GuestPlan = { inserts: [], updates: [], gone: [], statusChanges: [], now };
  for (const g of snap.guests) {
    if (seen.has(g.vmid)) continue;
    seen.add(g.vmid);
    const fields = guestFields(g);
    const old = byVmid.get(g.vmid);
    if (!old) {
      now.set(g.vmid, { ...fields, removed_at: null, first_seen: ts, changed_at: ts });
      plan.inserts.push(row(g.vmid, fields, ts));
      plan.statusChanges.push([clusterId, g.vmid, ts, null, g.status, g.node]);
      continue;
    }
    let changed = old.removed_at !== null;
    for (let k = 0; !changed && k < GUEST_FIELDS.length; k++) changed = old[GUEST_FIELDS[k]!] !== fields[GUEST_FIELDS[k]!];
    // unchanged: the row as last written is the row now, kept as it is (no copy per guest and
    // cycle: at 10,000 guests those copies, all outliving the cycle, were most of the agent's
    // garbage-collection work in the store stage)
    if (!changed) {
      now.set(g.vmid, old);
      continue;
    }
    now.set(g.vmid, { ...fields, removed_at: null, first_seen: old.first_seen, changed_at: ts });
    plan.updates.push(row(g.vmid, fields, ts));
    if (old.status !== g.status || old.removed_at !== null) {
      plan.statusChanges.push([clusterId, g.vmid, ts, old.removed_at !== null ? null : old.status, g.status, g.node]);
    }
  }
  for (const [vmid, r] of byVmid) {
    if (seen.has(vmid)) continue;
    now.set(vmid, r.removed_at === null ? { ...r, removed_at: ts, changed_at: ts } : r);
    if (r.removed_at === null) plan.gone.push(vmid);
  }
  return plan;
}

/** Writes the guests that changed; returns the guests rows as they now are (for the cache). */
async function writeGuests(
  db: Kysely<Database>, trx: Trx, clusterId: number, snap: ClusterSnapshot, known: Map<number, KnownGuest> | undefined,
): Promise<Map<number, KnownGuest>> {
  const ts = snap.ts;
  // the rows as selected (vmid too) serve as KnownGuest: no second object per guest
  const byVmid: ReadonlyMap<number, KnownGuest> = known ?? new Map(
    (await trx.selectFrom('guests').select(['vmid', 'removed_at', 'first_seen', 'changed_at', ...GUEST_FIELDS]).where('cluster_id', '=', clusterId).execute())
      .map((r) => [r.vmid, r]),
  );
  const plan = planGuests(clusterId, snap, byVmid);
  const fieldIndex = GUEST_FIELDS.map((f) => GUEST_COLUMNS.indexOf(f));
  for (const u of plan.updates) {
    const fields = Object.fromEntries(GUEST_FIELDS.map((f, k) => [f, u[fieldIndex[k]!]])) as GuestFields;
    await trx
      .updateTable('guests')
      .set({ ...fields, changed_at: ts, removed_at: null })
      .where('cluster_id', '=', clusterId)
      .where('vmid', '=', u[1] as number)
      .execute();
  }
  await bulkInsert(db, trx, 'guests', GUEST_COLUMNS, plan.inserts);
  for (let i = 0; i < plan.gone.length; i += 500) {
    await trx
      .updateTable('guests')
      .set({ removed_at: ts, changed_at: ts })
      .where('cluster_id', '=', clusterId)
      .where('vmid', 'in', plan.gone.slice(i, i + 500))
      .execute();
  }
  await bulkInsert(db, trx, 'guest_status_changes', GUEST_STATUS_CHANGE_COLUMNS, plan.statusChanges, { onConflict: 'ignore' });
  return plan.now;
}

/** The storages rows of a cycle. */
export function storageValues(clusterId: number, snap: ClusterSnapshot) {
  return snap.storages.map((s) => ({
    cluster_id: clusterId, node: s.node, storage: s.storage, type: s.type, content: s.content,
    shared: s.shared ? 1 : 0, status: s.status, used: int(s.used), total: int(s.total),
    first_seen: snap.ts, last_seen: snap.ts,
  }));
}

async function upsertStorages(trx: Trx, clusterId: number, snap: ClusterSnapshot): Promise<void> {
  if (snap.storages.length === 0) return;
  await trx
    .insertInto('storages')
    .values(storageValues(clusterId, snap))
    .onConflict((oc) =>
      oc.columns(['cluster_id', 'node', 'storage']).doUpdateSet((eb) => ({
        type: eb.ref('excluded.type'), content: eb.ref('excluded.content'), shared: eb.ref('excluded.shared'),
        status: eb.ref('excluded.status'), used: eb.ref('excluded.used'), total: eb.ref('excluded.total'),
        last_seen: eb.ref('excluded.last_seen'),
      })),
    )
    .execute();
}

/** The tasks rows of a cycle. */
export function taskValues(clusterId: number, snap: ClusterSnapshot) {
  return snap.tasks.map((t) => ({
    upid: t.upid, cluster_id: clusterId, node: t.node, type: t.type, object_id: t.objectId, vmid: t.vmid,
    user: t.user, tokenid: t.tokenid, starttime: t.starttime, endtime: t.endtime, status: t.status, ok: bool(t.ok),
  }));
}

async function upsertTasks(trx: Trx, clusterId: number, snap: ClusterSnapshot): Promise<void> {
  const rows = taskValues(clusterId, snap);
  for (let i = 0; i < rows.length; i += 2000) {
    // Only rewrite a task whose outcome moved on; an unchanged row costs no page write.
    await trx
      .insertInto('tasks')
      .values(rows.slice(i, i + 2000))
      .onConflict((oc) =>
        oc
          .columns(['cluster_id', 'upid']) // the primary key on PostgreSQL, a unique index on SQLite (migration 0105)
          .doUpdateSet((eb) => ({ endtime: eb.ref('excluded.endtime'), status: eb.ref('excluded.status'), ok: eb.ref('excluded.ok') }))
          .where((eb) =>
            eb.or([
              eb('tasks.endtime', 'is distinct from', eb.ref('excluded.endtime')),
              eb('tasks.status', 'is distinct from', eb.ref('excluded.status')),
              eb('tasks.ok', 'is distinct from', eb.ref('excluded.ok')),
            ]),
          ),
      )
      .execute();
  }
}
