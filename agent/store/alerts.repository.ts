// All SQL of the alert engine: instances, transitions, the notification queue, the outbox and its
// attempts, silences, and the guests our own work keeps busy. Tables: db/migrations/…-0050-alerts.ts.
import { sql, type Kysely } from 'kysely';
import type { Database } from './schema.ts';
import type { InstanceRow, Transition } from '../alerts/alert-state.ts';
import type { BusyRow } from '../alerts/mutes.ts';
import type { LabelMatcher } from '../alerts/alerts-config.schema.ts';

export type AlertTransitionsTable = {
  id: number; ts: number; rule: string; fingerprint: string; labels: string; from_state: string; to_state: string;
  severity: string; summary: string; muted: string | null; silenced: string | null;
};
export type AlertNotifyQueueTable = {
  id: number; target: string; group_key: string; transition_id: number | null; kind: string; event: string;
  created_at: number; due_at: number; batched_into: number | null;
};
export type AlertOutboxTable = {
  id: number; target: string; group_key: string; idempotency_key: string; payload: string; created_at: number;
  next_attempt_at: number; attempts: number; delivered_at: number | null; last_error: string | null;
};
export type AlertDeliveryAttemptsTable = { id: number; outbox_id: number; ts: number; ok: number; duration_ms: number; detail: string | null };
export type AlertSilencesTable = {
  id: string; matchers: string; starts_at: number; ends_at: number; reason: string; created_by: string; created_at: number;
  ended_at: number | null; ended_by: string | null;
};
export type AlertTables = {
  alert_instances: { [K in keyof InstanceRow]: InstanceRow[K] };
  alert_transitions: AlertTransitionsTable;
  alert_notify_queue: AlertNotifyQueueTable;
  alert_outbox: AlertOutboxTable;
  alert_delivery_attempts: AlertDeliveryAttemptsTable;
  alert_silences: AlertSilencesTable;
};
export type AlertsDb = Kysely<Database & AlertTables>;
/** The store's database seen with the alert tables (they are not in schema.ts: that file is shared). */
export const alertsDb = (db: Kysely<Database>): AlertsDb => db.withTables<AlertTables>();

/** Every stored instance (pending, firing, resolved). */
export async function loadInstances(db: AlertsDb): Promise<InstanceRow[]> {
  return db.selectFrom('alert_instances').selectAll().execute();
}

/** A transition with what it was recorded with. */
export interface RecordedTransition extends Transition {
  ts: number;
  muted: string | null;
  silenced: string | null;
}

/** One notification event for the queue; `transitionIndex` points into the step's transitions. */
export interface QueueItem {
  target: string;
  groupKey: string;
  kind: 'firing' | 'resolved' | 'repeat';
  event: unknown;
  createdAt: number;
  dueAt: number;
  transitionIndex?: number;
}

export interface AlertWrite {
  upserts: InstanceRow[];
  deletes: { rule: string; fingerprint: string }[];
  transitions: RecordedTransition[];
  queue: QueueItem[];
}

/** Writes one cycle's changes in one transaction; nothing at all when there is nothing to write. */
export async function writeAlertChanges(db: AlertsDb, w: AlertWrite): Promise<void> {
  if (w.upserts.length + w.deletes.length + w.transitions.length + w.queue.length === 0) return;
  await db.transaction().execute(async (trx) => {
    for (const r of w.upserts) {
      await trx.insertInto('alert_instances').values(r)
        .onConflict((oc) => oc.columns(['rule', 'fingerprint']).doUpdateSet({
          labels: r.labels, state: r.state, severity: r.severity, summary: r.summary, active_since: r.active_since,
          firing_since: r.firing_since, cleared_at: r.cleared_at, resolved_at: r.resolved_at, muted: r.muted,
          notified: r.notified, notified_at: r.notified_at, updated_at: r.updated_at,
        }))
        .execute();
    }
    for (const d of w.deletes) await trx.deleteFrom('alert_instances').where('rule', '=', d.rule).where('fingerprint', '=', d.fingerprint).execute();
    const ids: number[] = [];
    for (const t of w.transitions) {
      const res = await trx.insertInto('alert_transitions').values({
        ts: t.ts, rule: t.rule, fingerprint: t.fingerprint, labels: t.labels, from_state: t.from, to_state: t.to,
        severity: t.severity, summary: t.summary, muted: t.muted, silenced: t.silenced,
      } as never).returning('id').executeTakeFirstOrThrow();
      // `returning` (SQLite 3.35+, PostgreSQL): the pg dialect sets no insertId (#17)
      ids.push(Number(res.id));
    }
    for (const q of w.queue) {
      await trx.insertInto('alert_notify_queue').values({
        target: q.target, group_key: q.groupKey, kind: q.kind, event: JSON.stringify(q.event), created_at: q.createdAt, due_at: q.dueAt,
        transition_id: q.transitionIndex === undefined ? null : ids[q.transitionIndex] ?? null, batched_into: null,
      } as never).execute();
    }
  });
}

/** Removes resolved instances resolved before `before` (their history stays in alert_transitions). */
export async function pruneResolved(db: AlertsDb, before: number): Promise<void> {
  await db.deleteFrom('alert_instances').where('state', '=', 'resolved').where('resolved_at', '<', before).execute();
}

/**
 * Guests our own work keeps busy: inbox actions not finished, backups running (a vzdump task of
 * the guest, or its `backup` lock, which vzdump holds on the guest it is saving in every mode)
 * and the other locks. A backup carries the mode of the guest's enabled backup jobs when they
 * agree on one (`backup_guest_jobs` ⨝ `backup_jobs`, read by the health tier); mutes.ts decides.
 */
export async function busyGuests(db: Kysely<Database>): Promise<BusyRow[]> {
  const jobMode = (cid: string, vmid: string) => sql.raw(`(select case when count(*) > 0 and count(j.mode) = count(*) and count(distinct j.mode) = 1 then max(j.mode) end
      from backup_guest_jobs bg join backup_jobs j on j.cluster_id = bg.cluster_id and j.job_id = bg.job_id
      where bg.cluster_id = ${cid} and bg.vmid = ${vmid} and j.enabled = 1)`);
  const rows = await sql<{ cluster: string; vmid: number; why: string; backup: number; mode: string | null }>`
    select a.cluster, a.vmid, 'action ' || a.action || ' (' || a.id || ') is running' as why, 0 as backup, null as mode
    from actions a where a.outcome is null and a.state in ('queued', 'posting', 'running', 'verifying')
    union all
    select c.name, t.vmid, 'backup task ' || t.upid || ' is running', 1, ${jobMode('t.cluster_id', 't.vmid')}
    from tasks t join clusters c on c.id = t.cluster_id
    where t.endtime is null and t.type = 'vzdump' and t.vmid is not null
    union all
    select c.name, g.vmid, 'the guest is locked for ' || g.lock, case when g.lock = 'backup' then 1 else 0 end,
           case when g.lock = 'backup' then ${jobMode('g.cluster_id', 'g.vmid')} end
    from guests g join clusters c on c.id = g.cluster_id
    where g.removed_at is null and g.lock in ('backup', 'migrate', 'snapshot', 'rollback', 'clone')`.execute(db);
  return rows.rows.map((r) => ({ cluster: r.cluster, vmid: Number(r.vmid), why: r.why, backup: r.backup === 1, mode: r.mode }));
}

// ---- silences ----

export interface SilenceRow { id: string; matchers: LabelMatcher[]; startsAt: number; endsAt: number; reason: string; createdBy: string; createdAt: number; endedAt: number | null; endedBy: string | null }

const toSilence = (r: AlertSilencesTable): SilenceRow => ({
  id: r.id, matchers: JSON.parse(r.matchers) as LabelMatcher[], startsAt: r.starts_at, endsAt: r.ends_at, reason: r.reason,
  createdBy: r.created_by, createdAt: r.created_at, endedAt: r.ended_at, endedBy: r.ended_by,
});

/** Silences in force at `now`. */
export async function activeSilences(db: AlertsDb, now: number): Promise<SilenceRow[]> {
  const rows = await db.selectFrom('alert_silences').selectAll().where('ended_at', 'is', null).where('starts_at', '<=', now).where('ends_at', '>', now).execute();
  return rows.map(toSilence);
}

/** Recent and current silences for pages (ended or expired within `since`). */
export async function listSilences(db: AlertsDb, since: number): Promise<SilenceRow[]> {
  const rows = await db.selectFrom('alert_silences').selectAll().where('ends_at', '>=', since).orderBy('created_at', 'desc').execute();
  return rows.map(toSilence);
}

export async function findSilence(db: AlertsDb, id: string): Promise<SilenceRow | undefined> {
  const r = await db.selectFrom('alert_silences').selectAll().where('id', '=', id).executeTakeFirst();
  return r && toSilence(r);
}

/** Inserts a silence; false when the id exists already (a request is never applied twice). */
export async function insertSilence(db: AlertsDb, s: Omit<SilenceRow, 'endedAt' | 'endedBy'>): Promise<boolean> {
  const res = await db.insertInto('alert_silences').values({
    id: s.id, matchers: JSON.stringify(s.matchers), starts_at: s.startsAt, ends_at: s.endsAt, reason: s.reason,
    created_by: s.createdBy, created_at: s.createdAt, ended_at: null, ended_by: null,
  }).onConflict((oc) => oc.column('id').doNothing()).executeTakeFirst();
  return Number(res.numInsertedOrUpdatedRows ?? 0n) > 0;
}

/** Ends a silence early; false when it does not exist or had ended. */
export async function endSilence(db: AlertsDb, id: string, at: number, by: string): Promise<boolean> {
  const res = await db.updateTable('alert_silences').set({ ended_at: at, ended_by: by }).where('id', '=', id).where('ended_at', 'is', null).executeTakeFirst();
  return Number(res.numUpdatedRows) > 0;
}

// ---- notification queue and outbox ----

export interface DueGroup { target: string; groupKey: string }

/** Groups whose first event waited its groupWait. */
export async function dueGroups(db: AlertsDb, now: number): Promise<DueGroup[]> {
  const rows = await db.selectFrom('alert_notify_queue').select(['target', 'group_key']).where('batched_into', 'is', null)
    .groupBy(['target', 'group_key']).having((eb) => eb.fn.min('due_at'), '<=', now).orderBy((eb) => eb.fn.min('id')).execute();
  return rows.map((r) => ({ target: r.target, groupKey: r.group_key }));
}

/** The group's open events, oldest first. */
export async function openEvents(db: AlertsDb, g: DueGroup): Promise<{ id: number; kind: string; event: unknown }[]> {
  const rows = await db.selectFrom('alert_notify_queue').select(['id', 'kind', 'event']).where('batched_into', 'is', null)
    .where('target', '=', g.target).where('group_key', '=', g.groupKey).orderBy('id').execute();
  return rows.map((r) => ({ id: r.id, kind: r.kind, event: JSON.parse(r.event) as unknown }));
}

/** Turns a group's events into one outbox row, atomically (the events are marked in the same transaction). */
export async function batchIntoOutbox(db: AlertsDb, g: DueGroup, eventIds: number[], idempotencyKey: string, payload: unknown, now: number): Promise<number> {
  return db.transaction().execute(async (trx) => {
    const res = await trx.insertInto('alert_outbox').values({
      target: g.target, group_key: g.groupKey, idempotency_key: idempotencyKey, payload: JSON.stringify(payload),
      created_at: now, next_attempt_at: now, attempts: 0, delivered_at: null, last_error: null,
    } as never).returning('id').executeTakeFirstOrThrow();
    const id = Number(res.id);
    await trx.updateTable('alert_notify_queue').set({ batched_into: id }).where('id', 'in', eventIds).execute();
    return id;
  });
}

export interface OutboxRow { id: number; target: string; groupKey: string; idempotencyKey: string; payload: unknown; createdAt: number; nextAttemptAt: number; attempts: number }

/** Per target, its oldest undelivered notification (delivery is in order per target). */
export async function outboxHeads(db: AlertsDb): Promise<OutboxRow[]> {
  const rows = await db.selectFrom('alert_outbox').selectAll()
    .where('id', 'in', (eb) => eb.selectFrom('alert_outbox').select((e) => e.fn.min('id').as('id')).where('delivered_at', 'is', null).groupBy('target'))
    .orderBy('id').execute();
  return rows.map((r) => ({ id: r.id, target: r.target, groupKey: r.group_key, idempotencyKey: r.idempotency_key, payload: JSON.parse(r.payload) as unknown, createdAt: r.created_at, nextAttemptAt: r.next_attempt_at, attempts: r.attempts }));
}

/** Records one delivery attempt and its consequence, in one transaction. */
export async function recordAttempt(db: AlertsDb, a: { outboxId: number; ts: number; ok: boolean; durationMs: number; detail: string | null; nextAttemptAt: number }): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await trx.insertInto('alert_delivery_attempts').values({ outbox_id: a.outboxId, ts: a.ts, ok: a.ok ? 1 : 0, duration_ms: Math.round(a.durationMs), detail: a.detail } as never).execute();
    await trx.updateTable('alert_outbox')
      .set((eb) => ({ attempts: eb('attempts', '+', 1), ...(a.ok ? { delivered_at: a.ts, last_error: null } : { next_attempt_at: a.nextAttemptAt, last_error: a.detail }) }))
      .where('id', '=', a.outboxId).execute();
  });
}

/** Notifications not yet delivered (status, pages). */
export async function undeliveredCount(db: AlertsDb): Promise<number> {
  const r = await db.selectFrom('alert_outbox').select((eb) => eb.fn.countAll<number>().as('n')).where('delivered_at', 'is', null).executeTakeFirst();
  return Number(r?.n ?? 0);
}

// ---- pages and feeds ----

export interface TransitionRow { id: number; ts: number; rule: string; labels: string; fromState: string; toState: string; severity: string; summary: string; muted: string | null; silenced: string | null }

/** The newest firing/resolved transitions (for the Atom feeds), newest first. */
export async function recentNotableTransitions(db: AlertsDb, limit: number): Promise<TransitionRow[]> {
  const rows = await db.selectFrom('alert_transitions').selectAll().where('to_state', 'in', ['firing', 'resolved']).orderBy('id', 'desc').limit(limit).execute();
  return rows.map((r) => ({ id: r.id, ts: r.ts, rule: r.rule, labels: r.labels, fromState: r.from_state, toState: r.to_state, severity: r.severity, summary: r.summary, muted: r.muted, silenced: r.silenced }));
}

export interface HistoryRow extends TransitionRow { durationS: number | null }

/** Transitions since `since` with how long each state lasted (v_alert_history), newest first. */
export async function alertHistory(db: AlertsDb, since: number, limit: number): Promise<HistoryRow[]> {
  const r = await sql<{ id: number; ts: number; rule: string; labels: string; from_state: string; to_state: string; severity: string; summary: string; muted: string | null; silenced: string | null; duration_s: number | null }>`
    select id, ts, rule, labels, from_state, to_state, severity, summary, muted, silenced, duration_s
    from v_alert_history where ts >= ${since} order by id desc limit ${limit}`.execute(db);
  return r.rows.map((x) => ({ id: x.id, ts: x.ts, rule: x.rule, labels: x.labels, fromState: x.from_state, toState: x.to_state, severity: x.severity, summary: x.summary, muted: x.muted, silenced: x.silenced, durationS: x.duration_s }));
}

export interface FiringInterval { rule: string; labels: string; severity: string; from: number; to: number | null }

/**
 * charts (#14, #16 item 7): every firing interval that overlaps [since, now] — the firing
 * transition and the instance's next transition (null while it still fires), oldest first.
 */
export async function firingIntervals(db: AlertsDb, since: number, limit: number): Promise<FiringInterval[]> {
  const r = await sql<{ rule: string; labels: string; severity: string; from_ts: number; to_ts: number | null }>`
    select rule, labels, severity, from_ts, to_ts from (
      select t.rule, t.labels, t.severity, t.ts as from_ts,
             (select n.ts from alert_transitions n where n.rule = t.rule and n.fingerprint = t.fingerprint and n.id > t.id order by n.id limit 1) as to_ts
      from alert_transitions t where t.to_state = 'firing'
    ) f where to_ts is null or to_ts >= ${since}
    order by from_ts desc limit ${limit}`.execute(db);
  return r.rows.reverse().map((x) => ({ rule: x.rule, labels: x.labels, severity: x.severity, from: x.from_ts, to: x.to_ts }));
}
