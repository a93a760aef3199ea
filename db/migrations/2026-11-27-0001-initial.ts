/* eslint-disable @typescript-eslint/no-explicit-any -- migrations take Kysely<any> by design: they must not depend on today's row types. */
// Frozen once released: never edit, add a new migration instead. Uses Kysely<any> on purpose —
// migrations must not depend on application types that change later.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  // Inventory and latest state. Updated in place; one row per thing.
  await db.schema
    .createTable('clusters')
    .addColumn('id', 'integer', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull().unique())
    .addColumn('pve_name', 'text')
    .addColumn('pve_version', 'text')
    .addColumn('pve_release', 'text')
    .addColumn('quorate', 'integer')
    .addColumn('node_count', 'integer')
    .addColumn('endpoint', 'text')
    .addColumn('first_seen', 'integer', (c) => c.notNull())
    .addColumn('last_poll_at', 'integer')
    .addColumn('last_ok_at', 'integer')
    .addColumn('last_error', 'text')
    .addColumn('last_sample_ts', 'integer')
    .execute();

  await db.schema
    .createTable('nodes')
    .addColumn('cluster_id', 'integer', (c) => c.notNull().references('clusters.id'))
    .addColumn('node', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('nodeid', 'integer')
    .addColumn('ip', 'text')
    .addColumn('level', 'text')
    .addColumn('maxcpu', 'integer')
    .addColumn('mem_total', 'integer')
    .addColumn('swap_total', 'integer')
    .addColumn('rootfs_total', 'integer')
    .addColumn('uptime', 'integer')
    .addColumn('cpu_model', 'text')
    .addColumn('kernel', 'text')
    .addColumn('pve_version', 'text')
    .addColumn('hastate', 'text')
    .addColumn('first_seen', 'integer', (c) => c.notNull())
    .addColumn('last_seen', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('nodes_pk', ['cluster_id', 'node'])
    .modifyEnd(sql`without rowid`)
    .execute();

  await db.schema
    .createTable('guests')
    .addColumn('cluster_id', 'integer', (c) => c.notNull().references('clusters.id'))
    .addColumn('vmid', 'integer', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('node', 'text', (c) => c.notNull())
    .addColumn('name', 'text')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('template', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('tags', 'text')
    .addColumn('pool', 'text')
    .addColumn('lock', 'text')
    .addColumn('hastate', 'text')
    .addColumn('maxcpu', 'real')
    .addColumn('maxmem', 'integer')
    .addColumn('maxdisk', 'integer')
    .addColumn('first_seen', 'integer', (c) => c.notNull())
    .addColumn('changed_at', 'integer', (c) => c.notNull())
    .addColumn('removed_at', 'integer')
    .addPrimaryKeyConstraint('guests_pk', ['cluster_id', 'vmid'])
    .modifyEnd(sql`without rowid`)
    .execute();

  await db.schema
    .createTable('guest_status_changes')
    .addColumn('cluster_id', 'integer', (c) => c.notNull())
    .addColumn('vmid', 'integer', (c) => c.notNull())
    .addColumn('ts', 'integer', (c) => c.notNull())
    .addColumn('from_status', 'text')
    .addColumn('to_status', 'text', (c) => c.notNull())
    .addColumn('node', 'text')
    .addPrimaryKeyConstraint('guest_status_changes_pk', ['cluster_id', 'vmid', 'ts'])
    .modifyEnd(sql`without rowid`)
    .execute();

  await db.schema
    .createTable('storages')
    .addColumn('cluster_id', 'integer', (c) => c.notNull().references('clusters.id'))
    .addColumn('node', 'text', (c) => c.notNull())
    .addColumn('storage', 'text', (c) => c.notNull())
    .addColumn('type', 'text')
    .addColumn('content', 'text')
    .addColumn('shared', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('used', 'integer')
    .addColumn('total', 'integer')
    .addColumn('first_seen', 'integer', (c) => c.notNull())
    .addColumn('last_seen', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('storages_pk', ['cluster_id', 'node', 'storage'])
    .modifyEnd(sql`without rowid`)
    .execute();

  // Raw samples. Time-major keys: each cycle appends at the end of the b-tree instead of touching
  // one page per guest, which keeps bytes written per cycle small (see db/README.md).
  await db.schema
    .createTable('guest_samples')
    .addColumn('ts', 'integer', (c) => c.notNull())
    .addColumn('cluster_id', 'integer', (c) => c.notNull())
    .addColumn('vmid', 'integer', (c) => c.notNull())
    .addColumn('uptime', 'integer')
    .addColumn('cpu', 'real')
    .addColumn('mem', 'integer')
    .addColumn('memhost', 'integer')
    .addColumn('disk', 'integer')
    .addColumn('netin_bps', 'integer')
    .addColumn('netout_bps', 'integer')
    .addColumn('diskread_bps', 'integer')
    .addColumn('diskwrite_bps', 'integer')
    .addPrimaryKeyConstraint('guest_samples_pk', ['ts', 'cluster_id', 'vmid'])
    .modifyEnd(sql`without rowid`)
    .execute();

  await db.schema
    .createTable('node_samples')
    .addColumn('ts', 'integer', (c) => c.notNull())
    .addColumn('cluster_id', 'integer', (c) => c.notNull())
    .addColumn('node', 'text', (c) => c.notNull())
    .addColumn('uptime', 'integer')
    .addColumn('cpu', 'real')
    .addColumn('iowait', 'real')
    .addColumn('load1', 'real')
    .addColumn('load5', 'real')
    .addColumn('load15', 'real')
    .addColumn('mem_total', 'integer')
    .addColumn('mem_used', 'integer')
    .addColumn('mem_available', 'integer')
    .addColumn('swap_total', 'integer')
    .addColumn('swap_used', 'integer')
    .addColumn('rootfs_total', 'integer')
    .addColumn('rootfs_used', 'integer')
    .addColumn('netin_bps', 'integer')
    .addColumn('netout_bps', 'integer')
    .addPrimaryKeyConstraint('node_samples_pk', ['ts', 'cluster_id', 'node'])
    .modifyEnd(sql`without rowid`)
    .execute();

  await db.schema
    .createTable('storage_samples')
    .addColumn('ts', 'integer', (c) => c.notNull())
    .addColumn('cluster_id', 'integer', (c) => c.notNull())
    .addColumn('node', 'text', (c) => c.notNull())
    .addColumn('storage', 'text', (c) => c.notNull())
    .addColumn('used', 'integer')
    .addColumn('total', 'integer')
    .addPrimaryKeyConstraint('storage_samples_pk', ['ts', 'cluster_id', 'node', 'storage'])
    .modifyEnd(sql`without rowid`)
    .execute();

  // Rolled-up tiers. Guest-major keys so one guest's series is a single index range; they are
  // written in batches (see agent/store/rollup.ts), so the scattered page writes stay rare.
  for (const tier of ['5m', '1h']) {
    await db.schema
      .createTable(`guest_samples_${tier}`)
      .addColumn('cluster_id', 'integer', (c) => c.notNull())
      .addColumn('vmid', 'integer', (c) => c.notNull())
      .addColumn('ts', 'integer', (c) => c.notNull())
      .addColumn('samples', 'integer', (c) => c.notNull())
      .addColumn('cpu_avg', 'real').addColumn('cpu_max', 'real')
      .addColumn('mem_avg', 'integer').addColumn('mem_max', 'integer')
      .addColumn('disk_avg', 'integer').addColumn('disk_max', 'integer')
      .addColumn('netin_avg', 'integer').addColumn('netin_max', 'integer')
      .addColumn('netout_avg', 'integer').addColumn('netout_max', 'integer')
      .addColumn('diskread_avg', 'integer').addColumn('diskread_max', 'integer')
      .addColumn('diskwrite_avg', 'integer').addColumn('diskwrite_max', 'integer')
      .addPrimaryKeyConstraint(`guest_samples_${tier}_pk`, ['cluster_id', 'vmid', 'ts'])
      .modifyEnd(sql`without rowid`)
      .execute();

    await db.schema
      .createTable(`node_samples_${tier}`)
      .addColumn('cluster_id', 'integer', (c) => c.notNull())
      .addColumn('node', 'text', (c) => c.notNull())
      .addColumn('ts', 'integer', (c) => c.notNull())
      .addColumn('samples', 'integer', (c) => c.notNull())
      .addColumn('cpu_avg', 'real').addColumn('cpu_max', 'real')
      .addColumn('iowait_avg', 'real').addColumn('iowait_max', 'real')
      .addColumn('load1_avg', 'real').addColumn('load1_max', 'real')
      .addColumn('mem_used_avg', 'integer').addColumn('mem_used_max', 'integer')
      .addColumn('mem_available_avg', 'integer')
      .addColumn('mem_total', 'integer')
      .addColumn('swap_used_avg', 'integer')
      .addColumn('rootfs_used_avg', 'integer')
      .addColumn('netin_avg', 'integer').addColumn('netin_max', 'integer')
      .addColumn('netout_avg', 'integer').addColumn('netout_max', 'integer')
      .addPrimaryKeyConstraint(`node_samples_${tier}_pk`, ['cluster_id', 'node', 'ts'])
      .modifyEnd(sql`without rowid`)
      .execute();

    await db.schema
      .createTable(`storage_samples_${tier}`)
      .addColumn('cluster_id', 'integer', (c) => c.notNull())
      .addColumn('node', 'text', (c) => c.notNull())
      .addColumn('storage', 'text', (c) => c.notNull())
      .addColumn('ts', 'integer', (c) => c.notNull())
      .addColumn('samples', 'integer', (c) => c.notNull())
      .addColumn('used_avg', 'integer').addColumn('used_max', 'integer')
      .addColumn('total', 'integer')
      .addPrimaryKeyConstraint(`storage_samples_${tier}_pk`, ['cluster_id', 'node', 'storage', 'ts'])
      .modifyEnd(sql`without rowid`)
      .execute();
  }

  await db.schema
    .createTable('tasks')
    .addColumn('upid', 'text', (c) => c.primaryKey())
    .addColumn('cluster_id', 'integer', (c) => c.notNull())
    .addColumn('node', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('object_id', 'text')
    .addColumn('vmid', 'integer')
    .addColumn('user', 'text')
    .addColumn('tokenid', 'text')
    .addColumn('starttime', 'integer', (c) => c.notNull())
    .addColumn('endtime', 'integer')
    .addColumn('status', 'text')
    .addColumn('ok', 'integer')
    .execute();
  await db.schema.createIndex('tasks_by_start').on('tasks').columns(['cluster_id', 'starttime']).execute();
  await db.schema.createIndex('tasks_by_guest').on('tasks').columns(['cluster_id', 'vmid', 'starttime']).execute();

  await db.schema
    .createTable('actions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('cluster', 'text')
    .addColumn('vmid', 'integer')
    .addColumn('guest_type', 'text')
    .addColumn('node', 'text')
    .addColumn('action', 'text')
    .addColumn('params', 'text')
    .addColumn('reason', 'text')
    .addColumn('submitter', 'text')
    .addColumn('file_name', 'text')
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('outcome', 'text')
    .addColumn('upid', 'text')
    .addColumn('exitstatus', 'text')
    .addColumn('error_code', 'text')
    .addColumn('message', 'text')
    .addColumn('verification', 'text')
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('received_at', 'integer', (c) => c.notNull())
    .addColumn('not_before', 'integer')
    .addColumn('expires', 'integer')
    .addColumn('posted_at', 'integer')
    .addColumn('task_ended_at', 'integer')
    .addColumn('finished_at', 'integer')
    .addColumn('updated_at', 'integer', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('actions_by_guest').on('actions').columns(['cluster', 'vmid', 'received_at']).execute();
  await db.schema.createIndex('actions_by_state').on('actions').columns(['state']).execute();

  await db.schema
    .createTable('poll_runs')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('cluster_id', 'integer', (c) => c.notNull())
    .addColumn('started_at', 'integer', (c) => c.notNull())
    .addColumn('duration_ms', 'integer', (c) => c.notNull())
    .addColumn('requests', 'integer', (c) => c.notNull())
    .addColumn('errors', 'integer', (c) => c.notNull())
    .addColumn('endpoint', 'text')
    .addColumn('ok', 'integer', (c) => c.notNull())
    .addColumn('error', 'text')
    .execute();
  await db.schema.createIndex('poll_runs_by_cluster').on('poll_runs').columns(['cluster_id', 'started_at']).execute();

  // Small key/value state of the agent: rollup watermarks, last site build, schema notes.
  await db.schema
    .createTable('agent_state')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('value', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'integer', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const t of [
    'agent_state', 'poll_runs', 'actions', 'tasks',
    'storage_samples_1h', 'node_samples_1h', 'guest_samples_1h',
    'storage_samples_5m', 'node_samples_5m', 'guest_samples_5m',
    'storage_samples', 'node_samples', 'guest_samples',
    'storages', 'guest_status_changes', 'guests', 'nodes', 'clusters',
  ]) {
    await db.schema.dropTable(t).ifExists().execute();
  }
}
