/* eslint-disable @typescript-eslint/no-explicit-any -- migrations take Kysely<any> by design: they must not depend on today's row types. */
// Frozen once released. The alert engine's tables (issue 16): the state of each alert instance
// (written only on a transition or a condition edge), the append-only history of transitions, the
// notification queue that groups events per route, the persistent outbox with every delivery
// attempt, and silences. Documented in db/README.md ("Alerts").
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  // One row per (rule, instance). `fingerprint` is the JSON of the instance's identifying labels.
  await db.schema
    .createTable('alert_instances')
    .addColumn('rule', 'text', (c) => c.notNull())
    .addColumn('fingerprint', 'text', (c) => c.notNull())
    .addColumn('labels', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('severity', 'text', (c) => c.notNull())
    .addColumn('summary', 'text', (c) => c.notNull())
    .addColumn('active_since', 'integer')
    .addColumn('firing_since', 'integer')
    .addColumn('cleared_at', 'integer')
    .addColumn('resolved_at', 'integer')
    .addColumn('muted', 'text')
    .addColumn('notified', 'text')
    .addColumn('notified_at', 'integer')
    .addColumn('updated_at', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('alert_instances_pk', ['rule', 'fingerprint'])
    .execute();

  await db.schema
    .createTable('alert_transitions')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('ts', 'integer', (c) => c.notNull())
    .addColumn('rule', 'text', (c) => c.notNull())
    .addColumn('fingerprint', 'text', (c) => c.notNull())
    .addColumn('labels', 'text', (c) => c.notNull())
    .addColumn('from_state', 'text', (c) => c.notNull())
    .addColumn('to_state', 'text', (c) => c.notNull())
    .addColumn('severity', 'text', (c) => c.notNull())
    .addColumn('summary', 'text', (c) => c.notNull())
    .addColumn('muted', 'text')
    .addColumn('silenced', 'text')
    .execute();
  await db.schema.createIndex('alert_transitions_by_instance').on('alert_transitions').columns(['rule', 'fingerprint', 'ts']).execute();
  await db.schema.createIndex('alert_transitions_by_ts').on('alert_transitions').column('ts').execute();

  // Events waiting to be grouped into a notification (groupWait); batched_into = the outbox row.
  await db.schema
    .createTable('alert_notify_queue')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('target', 'text', (c) => c.notNull())
    .addColumn('group_key', 'text', (c) => c.notNull())
    .addColumn('transition_id', 'integer')
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('event', 'text', (c) => c.notNull())
    .addColumn('created_at', 'integer', (c) => c.notNull())
    .addColumn('due_at', 'integer', (c) => c.notNull())
    .addColumn('batched_into', 'integer')
    .execute();
  await db.schema.createIndex('alert_notify_queue_open').on('alert_notify_queue').columns(['batched_into', 'target', 'group_key']).execute();

  await db.schema
    .createTable('alert_outbox')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('target', 'text', (c) => c.notNull())
    .addColumn('group_key', 'text', (c) => c.notNull())
    .addColumn('idempotency_key', 'text', (c) => c.notNull().unique())
    .addColumn('payload', 'text', (c) => c.notNull())
    .addColumn('created_at', 'integer', (c) => c.notNull())
    .addColumn('next_attempt_at', 'integer', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('delivered_at', 'integer')
    .addColumn('last_error', 'text')
    .execute();
  await db.schema.createIndex('alert_outbox_pending').on('alert_outbox').columns(['delivered_at', 'target', 'id']).execute();

  await db.schema
    .createTable('alert_delivery_attempts')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('outbox_id', 'integer', (c) => c.notNull())
    .addColumn('ts', 'integer', (c) => c.notNull())
    .addColumn('ok', 'integer', (c) => c.notNull())
    .addColumn('duration_ms', 'integer', (c) => c.notNull())
    .addColumn('detail', 'text')
    .execute();
  await db.schema.createIndex('alert_delivery_attempts_by_outbox').on('alert_delivery_attempts').columns(['outbox_id', 'ts']).execute();

  await db.schema
    .createTable('alert_silences')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('matchers', 'text', (c) => c.notNull())
    .addColumn('starts_at', 'integer', (c) => c.notNull())
    .addColumn('ends_at', 'integer', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'integer', (c) => c.notNull())
    .addColumn('ended_at', 'integer')
    .addColumn('ended_by', 'text')
    .execute();

  await sql`create view v_alerts as
    select i.rule, i.fingerprint, i.labels, i.state, i.severity, i.summary, i.active_since, i.firing_since,
           i.cleared_at, i.resolved_at, i.muted, i.notified, i.notified_at, i.updated_at
    from alert_instances i`.execute(db);
  await sql`create view v_alert_history as
    select t.id, t.ts, t.rule, t.fingerprint, t.labels, t.from_state, t.to_state, t.severity, t.summary, t.muted, t.silenced,
           (select min(n.ts) from alert_transitions n where n.rule = t.rule and n.fingerprint = t.fingerprint and n.id > t.id) - t.ts as duration_s
    from alert_transitions t`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop view if exists v_alert_history`.execute(db);
  await sql`drop view if exists v_alerts`.execute(db);
  for (const t of ['alert_silences', 'alert_delivery_attempts', 'alert_outbox', 'alert_notify_queue', 'alert_transitions', 'alert_instances']) {
    await db.schema.dropTable(t).ifExists().execute();
  }
}
