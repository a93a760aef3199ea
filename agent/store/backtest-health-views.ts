// Backtesting over the health signals (#16 item 8): TEMP views named like the health *tables*
// shadow them on the backtest connection and answer "as of" the replayed time in bt_clock, from the
// history the health tiers keep where a state changes (*_changes, backup_runs, lvm_thin_samples).
// The documented health views (v_backup_guest, v_disk_latest, …) are then recreated as TEMP views
// from their own text in sqlite_master: SQLite resolves an unqualified name in `temp` before
// `main`, so the same view bodies (and rules that query the tables directly, like backup-overdue)
// read the shadows. A view in `main` keeps reading `main` (SQLite binds its names there).
//
// What each shadow can know (agent/alerts/README.md, "Backtesting", says it for users):
//  - clusters.last_sample_ts: the last good poll at or before the replayed time (poll_runs, 30 days),
//    else the replayed time itself: the views' "now";
//  - guests: present then (first_seen, removed_at);
//  - backup_runs: runs that had ended by then; backup_tasks: started by then, end/log as of then;
//  - disks: health, wearout, serial from disk_changes (disks no longer present are gone);
//  - zfs_pools: health and error counters from zfs_pool_changes (unknown before the first: no row);
//  - lvm_thin_pools: used and metadata from the newest lvm_thin_samples row within 2 days;
//  - ha_services: state and node from ha_service_changes; ceph_status: health and checks from
//    ceph_health_changes; replication_jobs: fail count and error from replication_changes;
//  - node_software: kernels and manager version from node_software_changes, reboot_required
//    since the change that made the newest kernel differ from the running one;
//  - no history, so today's rows only at the end of the replay (never earlier): ha_nodes (fencing),
//    ha_manager, ceph_pools; and today's rows at every step (documented as not faithful):
//    backup_jobs, backup_guest_jobs, backup_excluded_volumes, health_coverage, node_certificates
//    (a renewed certificate replaced the old one's row: its expiry then is unknown).
import type SqliteDatabase from 'better-sqlite3';

const N = '(select now from bt_clock)';

/** Column overrides (expressions over alias t) and a filter, per shadowed table. */
interface Shadow {
  set: Record<string, string>;
  where?: string;
}

const latest = (table: string, key: string, col: string) =>
  `(select h.${col} from main.${table} h where ${key} and h.ts <= ${N} order by h.ts desc limit 1)`;
const hasChange = (table: string, key: string) => `exists (select 1 from main.${table} h where ${key} and h.ts <= ${N})`;

const DISK = 'h.cluster_id = t.cluster_id and h.node = t.node and h.devpath = t.devpath';
const ZFS = 'h.cluster_id = t.cluster_id and h.node = t.node and h.pool = t.pool';
const THIN = `h.cluster_id = t.cluster_id and h.node = t.node and h.vg = t.vg and h.lv = t.lv and h.ts > ${N} - 2 * 86400`;
const HA = 'h.cluster_id = t.cluster_id and h.sid = t.sid';
const CEPH = 'h.cluster_id = t.cluster_id';
const REPL = 'h.cluster_id = t.cluster_id and h.job_id = t.job_id';
const SOFT = 'h.cluster_id = t.cluster_id and h.node = t.node';
const rebootNeeded = `(${latest('node_software_changes', SOFT, 'newest_kernel')} <> ${latest('node_software_changes', SOFT, 'running_kernel')})`;

const SHADOWS: Record<string, Shadow> = {
  clusters: {
    set: {
      last_sample_ts: `coalesce((select max(r.started_at) from main.poll_runs r where r.cluster_id = t.id and r.ok = 1 and r.started_at <= ${N}), ${N})`,
    },
    where: `t.first_seen <= ${N}`,
  },
  // guests present then (rules over the table: backup-overdue); status and node are v_guest_latest's business
  guests: { set: {}, where: `t.first_seen <= ${N} and (t.removed_at is null or t.removed_at > ${N})` },
  backup_runs: { set: {}, where: `t.endtime <= ${N}` },
  backup_tasks: {
    set: {
      endtime: `case when t.endtime <= ${N} then t.endtime end`,
      status: `case when t.endtime <= ${N} then t.status end`,
      log_read_at: `case when t.log_read_at <= ${N} then t.log_read_at end`,
    },
    where: `t.starttime <= ${N}`,
  },
  backup_not_in_job: { set: {}, where: `t.first_seen <= ${N}` },
  disks: {
    set: { health: latest('disk_changes', DISK, 'health'), wearout: latest('disk_changes', DISK, 'wearout'), serial: latest('disk_changes', DISK, 'serial'), last_seen: N },
    where: hasChange('disk_changes', DISK),
  },
  zfs_pools: {
    set: {
      health: latest('zfs_pool_changes', ZFS, 'health'),
      read_errors: latest('zfs_pool_changes', ZFS, 'read_errors'),
      write_errors: latest('zfs_pool_changes', ZFS, 'write_errors'),
      cksum_errors: latest('zfs_pool_changes', ZFS, 'cksum_errors'),
      // the scrub and the errors text have no history
      last_scrub_end: `case when t.last_scrub_end <= ${N} then t.last_scrub_end end`,
      errors: 'null',
      last_seen: N,
    },
    where: hasChange('zfs_pool_changes', ZFS),
  },
  lvm_thin_pools: {
    set: { used_bytes: latest('lvm_thin_samples', THIN, 'used_bytes'), metadata_used_bytes: latest('lvm_thin_samples', THIN, 'metadata_used_bytes'), last_seen: N },
    where: hasChange('lvm_thin_samples', THIN),
  },
  ha_services: {
    set: { state: latest('ha_service_changes', HA, 'to_state'), node: latest('ha_service_changes', HA, 'node'), last_seen: N },
    where: hasChange('ha_service_changes', HA),
  },
  ha_nodes: { set: {}, where: `t.ts <= ${N}` },
  ha_manager: { set: {}, where: `t.ts <= ${N}` },
  ceph_pools: { set: {}, where: `t.last_seen <= ${N}` },
  ceph_status: {
    set: { health: latest('ceph_health_changes', CEPH, 'to_health'), checks: latest('ceph_health_changes', CEPH, 'checks'), ts: N },
    where: hasChange('ceph_health_changes', CEPH),
  },
  replication_jobs: {
    set: {
      fail_count: latest('replication_changes', REPL, 'fail_count'),
      error: latest('replication_changes', REPL, 'error'),
      last_sync: `case when t.last_sync <= ${N} then t.last_sync end`,
      last_seen: N,
    },
    where: `t.first_seen <= ${N} and ${hasChange('replication_changes', REPL)}`,
  },
  node_software: {
    set: {
      running_kernel: latest('node_software_changes', SOFT, 'running_kernel'),
      newest_kernel: latest('node_software_changes', SOFT, 'newest_kernel'),
      manager_version: latest('node_software_changes', SOFT, 'manager_version'),
      reboot_required: `case when ${rebootNeeded} then 1 else 0 end`,
      // since the first change of the current run in which a newer kernel waited for a reboot
      reboot_required_since: `case when ${rebootNeeded} then (select min(h.ts) from main.node_software_changes h where ${SOFT} and h.ts <= ${N}
        and h.newest_kernel = ${latest('node_software_changes', SOFT, 'newest_kernel')} and h.running_kernel <> h.newest_kernel
        and not exists (select 1 from main.node_software_changes k where k.cluster_id = h.cluster_id and k.node = h.node and k.ts > h.ts and k.ts <= ${N}
          and (k.running_kernel = k.newest_kernel or k.newest_kernel <> h.newest_kernel))) end`,
      last_seen: N,
    },
    where: hasChange('node_software_changes', SOFT),
  },
};

/** The shadow of one table: every column of main.<table>, some replaced by their as-of expression. */
function shadowSql(sqlite: SqliteDatabase.Database, table: string, s: Shadow): string {
  const cols = (sqlite.prepare(`select name from pragma_table_info(?, 'main')`).all(table) as Array<{ name: string }>).map((c) => c.name);
  const list = cols.map((c) => (s.set[c] ? `${s.set[c]} as ${c}` : `t.${c}`)).join(', ');
  return `select ${list} from main.${table} t${s.where ? ` where ${s.where}` : ''}`;
}

/**
 * Installs the health shadows and recreates, as TEMP views, every view of `main` that reads a
 * shadowed table directly or through another recreated view — except those `keep` names (the
 * metrics tier's own as-of views, installed by backtest-views.ts). Needs bt_clock to exist.
 */
export function installHealthBacktestViews(sqlite: SqliteDatabase.Database, keep: ReadonlySet<string>): void {
  for (const [table, s] of Object.entries(SHADOWS)) {
    if (!(sqlite.prepare("select 1 from main.sqlite_master where type = 'table' and name = ?").get(table))) continue;
    sqlite.exec(`drop view if exists temp.${table}`);
    sqlite.exec(`create temp view ${table} as ${shadowSql(sqlite, table, s)}`);
  }
  const views = sqlite.prepare("select name, sql from main.sqlite_master where type = 'view' order by name").all() as Array<{ name: string; sql: string }>;
  // views over the metrics tier's as-of views are recreated too, so they read them
  const touched = new Set([...Object.keys(SHADOWS), ...keep]);
  const reads = (body: string, names: Set<string>) => [...names].some((n) => new RegExp(`\\b${n}\\b`, 'i').test(body));
  const chosen = new Map<string, string>();
  // to a fixpoint: a view over a recreated view is recreated too
  for (let grew = true; grew; ) {
    grew = false;
    for (const v of views) {
      if (chosen.has(v.name) || keep.has(v.name) || !reads(v.sql, touched)) continue;
      chosen.set(v.name, v.sql);
      touched.add(v.name);
      grew = true;
    }
  }
  // create in an order where each view's dependencies exist (SQLite checks names at create time)
  const pending = new Map(chosen);
  while (pending.size > 0) {
    const before = pending.size;
    for (const [name, text] of pending) {
      const waits = [...pending.keys()].some((o) => o !== name && new RegExp(`\\b${o}\\b`, 'i').test(text));
      if (waits) continue;
      sqlite.exec(`drop view if exists temp.${name}`);
      sqlite.exec(text.replace(/^\s*create\s+view/i, 'create temp view'));
      pending.delete(name);
    }
    if (pending.size === before) throw new Error(`backtest: cannot order the views ${[...pending.keys()].join(', ')}`);
  }
}
