// One cluster's cycle as ONE statement on PostgreSQL (issue 17 item 5). The transaction of
// writeSnapshot took about fifteen round trips per cluster (begin, clock check, cluster, nodes,
// three sample tables, storages, tasks, guests, commit); at 50 clusters per agent on a busy
// machine the round trips, not the rows, were the cost. Here every write of the cycle is a
// data-modifying CTE of one INSERT … SELECT FROM unnest(…) per table: one round trip, one
// implicit transaction (a statement is atomic), the rows passed as one array per column.
//
// It runs only when this process wrote the cluster's previous cycle (snapshot.repository.ts keeps
// the guests rows it wrote and the ts): the `c` CTE updates the cluster row only while
// last_sample_ts still is that ts, and every other part writes only when `c` did. So when another
// agent wrote the cluster meanwhile (a lease handover) nothing is written and the caller takes the
// full path, which re-reads the guests and undoes a clock that ran ahead.
import { CompiledQuery, type Kysely } from 'kysely';
import type { ClusterSnapshot } from '../poll/cluster-snapshot.ts';
import type { Database } from './schema.ts';
import { arrayLiteral, unnestText } from './pg-unnest.ts';
import { PREPARED } from './pg-dialect.ts';
import { pollRunError, type PollRunRecord } from './cluster.repository.ts';
import { guestStateTexts, upsertGuestStateText } from './guest-state.repository.ts';
import {
  GUEST_COLUMNS, GUEST_FIELDS, GUEST_SAMPLE_COLUMNS, GUEST_STATUS_CHANGE_COLUMNS, NODE_SAMPLE_COLUMNS, STORAGE_SAMPLE_COLUMNS,
  clusterValues, guestSampleRows, nodeSampleRows, nodeValues, storageSampleRows, storageValues, taskValues, type GuestPlan,
} from './snapshot.repository.ts';

export interface CycleWrite {
  clusterId: number;
  /** last_sample_ts as this process last wrote it; the statement writes only while the row still says so. */
  lastTs: number;
  snap: ClusterSnapshot;
  plan: GuestPlan;
  /** The cycle's poll run, written by the same statement (poll_runs and the cluster's last_poll_at/last_ok_at/last_error). */
  run?: { record: PollRunRecord; startedAt: number };
}

const NODE_COLUMNS = ['cluster_id', 'node', 'status', 'nodeid', 'ip', 'level', 'maxcpu', 'mem_total', 'swap_total', 'rootfs_total', 'uptime', 'cpu_model', 'kernel', 'pve_version', 'hastate', 'first_seen', 'last_seen'] as const;
/** Offline nodes report almost nothing: these keep their last known value when the new one is null. */
const NODE_KEPT = ['nodeid', 'ip', 'level', 'maxcpu', 'mem_total', 'swap_total', 'rootfs_total', 'cpu_model', 'kernel', 'pve_version'] as const;
const STORAGE_COLUMNS = ['cluster_id', 'node', 'storage', 'type', 'content', 'shared', 'status', 'used', 'total', 'first_seen', 'last_seen'] as const;
const TASK_COLUMNS = ['upid', 'cluster_id', 'node', 'type', 'object_id', 'vmid', 'user', 'tokenid', 'starttime', 'endtime', 'status', 'ok'] as const;

const positional = <K extends string>(columns: readonly K[], rows: ReadonlyArray<Record<K, unknown>>): unknown[][] => rows.map((r) => columns.map((c) => r[c]));
// column names are this module's constants: quoted, never from input
const q = (c: string) => `"${c}"`;
const cols = (columns: readonly string[]) => columns.map(q).join(', ');

/**
 * Writes the cycle in one statement. Resolves false (and writes nothing) when the cluster row is
 * no longer as this process left it; throws on any database error (nothing is written then either).
 *
 * The statement is written as text with its parameters (run by kysely as a compiled query) rather
 * than as a tree of kysely `sql` fragments: compiling that tree took about a third of the client's
 * CPU per cluster (scripts/bench/pg-ingest-profile.ts), and the text is the same shape every cycle.
 */
export async function writeCycleStatement(db: Kysely<Database>, w: CycleWrite): Promise<boolean> {
  const { snap, plan, clusterId } = w;
  const ts = snap.ts;
  const params: unknown[] = [];
  const p = (v: unknown) => `$${params.push(v)}`;
  const parts: string[] = [];
  const insert = async (name: string, table: string, columns: readonly string[], rows: unknown[][], tail: string) => {
    if (rows.length === 0) return;
    const from = await unnestText(db, table, columns, rows, p);
    parts.push(`${name} as (insert into ${q(table)} (${cols(columns)}) select u.* from (${from}) u where exists (select 1 from c) ${tail})`);
  };
  const nothing = 'on conflict do nothing';
  const excluded = (names: readonly string[]) => names.map((k) => `${q(k)} = excluded.${q(k)}`);

  await insert('n', 'nodes', NODE_COLUMNS, positional(NODE_COLUMNS, nodeValues(clusterId, snap)), `on conflict (cluster_id, node) do update set ${[
    ...excluded(['status', 'uptime', 'hastate', 'last_seen']),
    ...NODE_KEPT.map((k) => `${q(k)} = coalesce(excluded.${q(k)}, nodes.${q(k)})`),
  ].join(', ')}`);
  await insert('gu', 'guests', GUEST_COLUMNS, [...plan.inserts, ...plan.updates], `on conflict (cluster_id, vmid) do update set ${[
    ...excluded([...GUEST_FIELDS, 'changed_at']), 'removed_at = null',
  ].join(', ')}`);
  if (plan.gone.length) {
    parts.push(`gr as (update guests set removed_at = ${p(ts)}, changed_at = ${p(ts)}
      where cluster_id = ${p(clusterId)} and vmid = any(${p(arrayLiteral(plan.gone, true))}::int8[]) and exists (select 1 from c))`);
  }
  await insert('sc', 'guest_status_changes', GUEST_STATUS_CHANGE_COLUMNS, plan.statusChanges, nothing);
  await insert('gs', 'guest_samples', GUEST_SAMPLE_COLUMNS, guestSampleRows(clusterId, snap), nothing);
  await insert('ns', 'node_samples', NODE_SAMPLE_COLUMNS, nodeSampleRows(clusterId, snap), nothing);
  await insert('st', 'storages', STORAGE_COLUMNS, positional(STORAGE_COLUMNS, storageValues(clusterId, snap)), `on conflict (cluster_id, node, storage) do update set ${
    excluded(['type', 'content', 'shared', 'status', 'used', 'total', 'last_seen']).join(', ')}`);
  await insert('ss', 'storage_samples', STORAGE_SAMPLE_COLUMNS, storageSampleRows(clusterId, snap), nothing);
  // only rewrite a task whose outcome moved on: an unchanged row costs no page write
  await insert('tk', 'tasks', TASK_COLUMNS, positional(TASK_COLUMNS, taskValues(clusterId, snap)), `on conflict (cluster_id, upid) do update set
    endtime = excluded.endtime, status = excluded.status, ok = excluded.ok
    where tasks.endtime is distinct from excluded.endtime or tasks.status is distinct from excluded.status or tasks.ok is distinct from excluded.ok`);

  // the cluster's current state (guest-state.repository.ts): one row, unlogged, beside the samples
  const state = guestStateTexts(snap, plan.now);
  parts.push(`gst as (${upsertGuestStateText(`select id, ${p(ts)}::int8, ${p(state.latest)}, ${p(state.inventory)} from c`)})`);

  // the run as writePollRun would write it after the snapshot: on the row this statement updates
  // anyway (its last_poll_at, last_error, and last_ok_at when ok), one round trip per cluster instead of two
  let runValues = {};
  if (w.run) {
    const { record: r, startedAt } = w.run;
    const error = pollRunError(r);
    runValues = { last_poll_at: startedAt, last_error: error, ...(r.ok && { last_ok_at: startedAt }) };
    parts.push(`pr as (insert into poll_runs (cluster_id, started_at, duration_ms, requests, errors, endpoint, ok, error)
      select id, ${p(startedAt)}, ${p(Math.round(r.durationMs))}, ${p(r.requests)}, ${p(r.errors)}, ${p(r.endpoint ?? null)}, ${p(r.ok ? 1 : 0)}, ${p(error)} from c)`);
  }
  // the cluster row first in the text, its parameters numbered after the others': order is free
  const set = Object.entries({ ...clusterValues(snap), last_sample_ts: ts, ...runValues }).map(([k, v]) => `${q(k)} = ${p(v)}`).join(', ');
  const text = `${PREPARED}with c as (
      update clusters set ${set}
      where id = ${p(clusterId)} and last_sample_ts = ${p(w.lastTs)}
      returning id
    )${parts.length ? `, ${parts.join(', ')}` : ''}
    select count(*)::int as written from c`;
  const res = await db.executeQuery<{ written: number }>(CompiledQuery.raw(text, params));
  return (res.rows[0]?.written ?? 0) > 0;
}
