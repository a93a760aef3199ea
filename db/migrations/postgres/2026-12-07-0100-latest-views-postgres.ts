/* eslint-disable @typescript-eslint/no-explicit-any -- migrations take Kysely<any> by design: they must not depend on today's row types. */
// Frozen once released. PostgreSQL twin of 2026-12-07-0100-latest-views-postgres.ts (issue 17 item 5).
//
// v_guest_latest and v_node_latest join the raw samples on `ts = clusters.last_sample_ts`. On
// PostgreSQL the planner turned that into a merge or hash join over EVERY raw row kept (every cycle
// of the last raw-retention hours: 4 s for the overview at 50,000 guests with a few hours kept, and
// growing with retention). Same columns, same rows, but the samples are now read per cluster: a
// LATERAL subquery per cluster row, an index range scan of the time-major key (ts, cluster_id, …)
// in the one partition holding last_sample_ts, and only then joined to the inventory.
// `offset 0` keeps PostgreSQL from flattening the subquery back into the join it replaces.
// `create or replace`: the columns are unchanged, so views built on these stay.
import { sql, type Kysely } from 'kysely';

// The columns and inventory joins as 2026-11-27-0002-views.ts has them; only how the samples of
// the cluster's last cycle are joined differs (the old join is kept for down()).
const GUEST_SELECT = `
    select c.name as cluster, g.cluster_id, g.vmid, g.type, g.node, g.name, g.status, g.template, g.tags, g.pool,
           g.lock, g.hastate, g.maxcpu, g.maxmem, g.maxdisk, g.first_seen, g.changed_at,
           s.ts as sample_ts, s.uptime, s.cpu, s.mem,
           case when g.maxmem > 0 then 1.0 * s.mem / g.maxmem end as mem_fraction,
           s.memhost, s.disk,
           case when g.maxdisk > 0 and s.disk > 0 then 1.0 * s.disk / g.maxdisk end as disk_fraction,
           s.netin_bps, s.netout_bps, s.diskread_bps, s.diskwrite_bps
    from guests g
    join clusters c on c.id = g.cluster_id`;

const NODE_SELECT = `
    select c.name as cluster, n.cluster_id, n.node, n.status, n.nodeid, n.ip, n.maxcpu, n.cpu_model, n.kernel,
           n.pve_version, n.hastate, n.first_seen, n.last_seen,
           s.ts as sample_ts, s.uptime, s.cpu, s.iowait, s.load1, s.load5, s.load15,
           s.mem_total, s.mem_used, s.mem_available,
           case when s.mem_total > 0 then 1.0 * s.mem_used / s.mem_total end as mem_fraction,
           s.swap_total, s.swap_used, s.rootfs_total, s.rootfs_used,
           case when s.rootfs_total > 0 then 1.0 * s.rootfs_used / s.rootfs_total end as rootfs_fraction,
           s.netin_bps, s.netout_bps
    from nodes n
    join clusters c on c.id = n.cluster_id`;

/** The samples of each cluster's last cycle, read per cluster (see above). */
const lastCycle = (table: string) => `
    left join (
      select l.* from clusters lc cross join lateral (
        select * from ${table} x where x.ts = lc.last_sample_ts and x.cluster_id = lc.id offset 0
      ) l
    )`;

const GUEST_LATEST = `${GUEST_SELECT}${lastCycle('guest_samples')} s on s.cluster_id = g.cluster_id and s.vmid = g.vmid
    where g.removed_at is null`;
const NODE_LATEST = `${NODE_SELECT}${lastCycle('node_samples')} s on s.cluster_id = n.cluster_id and s.node = n.node`;

// As 2026-11-27-0002-views.ts created them (for down()).
const GUEST_LATEST_0002 = `${GUEST_SELECT}
    left join guest_samples s on s.ts = c.last_sample_ts and s.cluster_id = g.cluster_id and s.vmid = g.vmid
    where g.removed_at is null`;
const NODE_LATEST_0002 = `${NODE_SELECT}
    left join node_samples s on s.ts = c.last_sample_ts and s.cluster_id = n.cluster_id and s.node = n.node`;

export async function up(db: Kysely<any>): Promise<void> {
  await sql`create or replace view v_guest_latest as ${sql.raw(GUEST_LATEST)}`.execute(db);
  await sql`create or replace view v_node_latest as ${sql.raw(NODE_LATEST)}`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`create or replace view v_guest_latest as ${sql.raw(GUEST_LATEST_0002)}`.execute(db);
  await sql`create or replace view v_node_latest as ${sql.raw(NODE_LATEST_0002)}`.execute(db);
}
