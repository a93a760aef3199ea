// Backtesting replays a rule over stored history. The rule's query stays as written: on the
// backtest's own read-only connection, TEMP views named like the *_latest views shadow them
// (SQLite resolves an unqualified name in `temp` before `main`) and answer "as of" the replayed
// time in temp table bt_clock, from the history tier that covers it. What each view can give:
//  - v_cluster_latest: poll state from poll_runs (kept 30 days); quorum has no history (today's value);
//  - v_node_latest: online when the node has a sample in the window, offline when the cluster was
//    polled in the window but the node has none; no metrics;
//  - v_guest_latest: status and node from guest_status_changes (every change is kept); no metrics, no lock;
//  - v_storage_latest / v_storage_fill: used/total from the tier's sample (raw, 5-minute or hourly average);
//  - v_tasks: a task counts as running until its endtime.
// Tables (guest_status_changes, tasks, actions, storage_samples_1h, …) are the real ones: rules bound them by :now;
// the health tables and `clusters` are shadowed by as-of views too (backtest-health-views.ts).
import type SqliteDatabase from 'better-sqlite3';
import { installHealthBacktestViews } from './backtest-health-views.ts';

export type Tier = 'raw' | '5m' | '1h';

const N = '(select now from bt_clock)';
const L = '(select lookback from bt_clock)';
const sfx = (t: Tier) => (t === 'raw' ? '' : `_${t}`);

function views(tier: Tier): Record<string, string> {
  const nodeSamples = `node_samples${sfx(tier)}`;
  const storageUsed = tier === 'raw' ? 'x.used' : 'x.used_avg';
  const polledOk = (cid: string) => `exists (select 1 from poll_runs r where r.cluster_id = ${cid} and r.ok = 1 and r.started_at > ${N} - ${L} and r.started_at <= ${N})`;
  const lastChange = (col: string) => `(select sc.${col} from guest_status_changes sc where sc.cluster_id = g.cluster_id and sc.vmid = g.vmid and sc.ts <= ${N} order by sc.ts desc limit 1)`;
  return {
    v_cluster_latest: `
      select c.id as cluster_id, c.name as cluster, c.pve_name, c.pve_version, c.pve_release, c.quorate, c.node_count, c.endpoint, c.first_seen,
             (select max(r.started_at) from poll_runs r where r.cluster_id = c.id and r.started_at <= ${N}) as last_poll_at,
             (select max(r.started_at) from poll_runs r where r.cluster_id = c.id and r.started_at <= ${N} and r.ok = 1) as last_ok_at,
             (select case when r.ok = 1 then null else coalesce(r.error, 'failed') end from poll_runs r where r.cluster_id = c.id and r.started_at <= ${N} order by r.started_at desc limit 1) as last_error,
             (select max(r.started_at) from poll_runs r where r.cluster_id = c.id and r.started_at <= ${N} and r.ok = 1) as last_sample_ts,
             null as guests, null as guests_running
      from clusters c where c.first_seen <= ${N}`,
    v_node_latest: `
      select c.name as cluster, n.cluster_id, n.node,
             case when exists (select 1 from ${nodeSamples} s where s.cluster_id = n.cluster_id and s.node = n.node and s.ts > ${N} - ${L} and s.ts <= ${N}) then 'online'
                  when ${polledOk('n.cluster_id')} then 'offline' else 'unknown' end as status,
             n.nodeid, n.ip, n.maxcpu, n.cpu_model, n.kernel, n.pve_version, n.hastate, n.first_seen, n.last_seen,
             null as sample_ts, null as uptime, null as cpu, null as iowait, null as load1, null as load5, null as load15,
             null as mem_total, null as mem_used, null as mem_available, null as mem_fraction, null as swap_total, null as swap_used,
             null as rootfs_total, null as rootfs_used, null as rootfs_fraction, null as netin_bps, null as netout_bps
      from nodes n join clusters c on c.id = n.cluster_id where n.first_seen <= ${N}`,
    v_guest_latest: `
      select c.name as cluster, g.cluster_id, g.vmid, g.type, coalesce(${lastChange('node')}, g.node) as node, g.name,
             coalesce(${lastChange('to_status')}, g.status) as status, g.template, g.tags, g.pool, null as lock, null as hastate,
             g.maxcpu, g.maxmem, g.maxdisk, g.first_seen, g.changed_at,
             null as sample_ts, null as uptime, null as cpu, null as mem, null as mem_fraction, null as memhost, null as disk, null as disk_fraction,
             null as netin_bps, null as netout_bps, null as diskread_bps, null as diskwrite_bps
      from guests g join clusters c on c.id = g.cluster_id
      where g.first_seen <= ${N} and (g.removed_at is null or g.removed_at > ${N})`,
    v_storage_latest: `
      select c.name as cluster, s.cluster_id, s.node, s.storage, s.type, s.content, s.shared,
             case when x.ts is not null then 'available' when ${polledOk('s.cluster_id')} then 'no sample' end as status,
             ${storageUsed} as used, x.total, x.total - ${storageUsed} as free,
             case when x.total > 0 then 1.0 * ${storageUsed} / x.total end as used_fraction, s.first_seen, s.last_seen
      from storages s join clusters c on c.id = s.cluster_id
      left join storage_samples${sfx(tier)} x on x.cluster_id = s.cluster_id and x.node = s.node and x.storage = s.storage
        and x.ts = (select max(y.ts) from storage_samples${sfx(tier)} y where y.cluster_id = s.cluster_id and y.node = s.node and y.storage = s.storage and y.ts > ${N} - ${L} and y.ts <= ${N})
      where s.first_seen <= ${N}`,
    v_storage_fill: `
      select cluster, cluster_id, node, storage, type, shared, used, total, total - used as free,
             case when total > 0 then 1.0 * used / total end as used_fraction
      from (
        select cluster, cluster_id, node, storage, type, shared, used, total from v_storage_latest where shared = 0 and status = 'available'
        union all
        select cluster, cluster_id, null, storage, max(type), 1, max(used), max(total) from v_storage_latest
        where shared = 1 and status = 'available' group by cluster, cluster_id, storage
      ) f`,
    v_tasks: `
      select c.name as cluster, t.cluster_id, t.upid, t.node, t.type, t.object_id, t.vmid, t.user, t.tokenid, t.starttime,
             case when t.endtime <= ${N} then t.endtime end as endtime,
             case when t.endtime <= ${N} then t.endtime - t.starttime end as duration_s,
             case when t.endtime <= ${N} then t.status else 'RUNNING' end as status,
             case when t.endtime is null or t.endtime > ${N} then 'running'
                  when t.status = 'OK' then 'ok' when t.status like 'WARNINGS%' then 'warnings' else 'failed' end as outcome
      from tasks t join clusters c on c.id = t.cluster_id where t.starttime <= ${N}`,
  };
}

/** Where each tier starts in this database (the oldest row of each node table), epoch s. */
export function tierStarts(sqlite: SqliteDatabase.Database): { raw: number | null; fiveMinute: number | null; end: number | null } {
  const min = (t: string) => (sqlite.prepare(`select min(ts) as ts from ${t}`).get() as { ts: number | null }).ts;
  const end = (sqlite.prepare('select max(last_sample_ts) as ts from clusters').get() as { ts: number | null }).ts;
  return { raw: min('node_samples'), fiveMinute: min('node_samples_5m'), end };
}

/** The "as of" views for `tier` on a backtest connection (replacing those of another tier). */
export function installBacktestViews(sqlite: SqliteDatabase.Database, tier: Tier): void {
  sqlite.exec('create temp table if not exists bt_clock (now integer not null, lookback integer not null)');
  for (const [name, body] of Object.entries(views(tier))) {
    sqlite.exec(`drop view if exists temp.${name}`);
    sqlite.exec(`create temp view ${name} as ${body}`);
  }
  // the health signals as of the replayed time, and every view over them (#16 item 8)
  installHealthBacktestViews(sqlite, new Set(Object.keys(views(tier))));
}

/** Moves the replayed time. */
export function setBacktestClock(sqlite: SqliteDatabase.Database, now: number, lookbackSeconds: number): void {
  sqlite.exec('delete from bt_clock');
  sqlite.prepare('insert into bt_clock (now, lookback) values (?, ?)').run(now, lookbackSeconds);
}

/** A read-only connection for a backtest (temp objects live in memory; the file is never written). */
export async function openBacktestConnection(file: string): Promise<SqliteDatabase.Database> {
  const { default: Database } = await import('better-sqlite3');
  const db = new Database(file, { readonly: true, fileMustExist: true });
  db.pragma('busy_timeout = 5000');
  db.pragma('temp_store = MEMORY');
  return db;
}

/** Runs a rule's query at the replayed time. */
export function runAt(sqlite: SqliteDatabase.Database, sql: string, params: Record<string, number>): Record<string, unknown>[] {
  return sqlite.prepare(sql).all(params) as Record<string, unknown>[];
}
