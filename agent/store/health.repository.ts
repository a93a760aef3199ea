// Writes the health tiers' results (agent/health/) and answers what the tier needs to know across
// restarts. One transaction per cluster per cycle. Latest-state tables are updated in place;
// *_changes rows are added only when a state changes (db/README.md, "Health").
import { sql, type Kysely, type Transaction } from 'kysely';
import type { RpoOverride } from '../config/health-config.schema.ts';
import type { BackupJobRow, BackupTaskRow, HealthBatch, SignalResult } from '../health/health-rows.ts';
import type { HealthKnowledge } from '../health/health-tier.ts';
import { getClusterId } from './cluster.repository.ts';
import type { Database } from './schema.ts';
import { isPostgres } from './pg-dialect.ts';

type Db = Kysely<Database> | Transaction<Database>;
type Row = Record<string, unknown>;

const b = (v: boolean | null | undefined): number | null => (v == null ? null : v ? 1 : 0);
const i = (v: number | null | undefined): number | null => (v == null || !Number.isFinite(v) ? null : Math.round(v));

async function rows<T = Row>(db: Db, q: ReturnType<typeof sql>): Promise<T[]> {
  return (await q.execute(db)).rows as T[];
}

export interface HealthWriteOptions {
  rpoOverrides?: readonly RpoOverride[];
}

/** The RPO of a guest: the first matching override, else the job's. */
export function guestRpo(cluster: string, vmid: number, jobRpo: number | null, overrides: readonly RpoOverride[] = []): number | null {
  const o = overrides.find((r) => (!r.clusters || r.clusters.includes(cluster)) && (!r.vmids || r.vmids.includes(vmid)));
  return o ? Math.round(o.hours * 3600) : jobRpo;
}

/** Writes one cluster's health batch in one transaction; a cluster never stored is skipped. */
export async function writeHealthBatch(db: Kysely<Database>, batch: HealthBatch, opts: HealthWriteOptions = {}): Promise<void> {
  if (!batch.results.length && !batch.handshake?.length) return;
  await db.transaction().execute(async (trx) => {
    const cid = await getClusterId(trx, batch.cluster);
    if (cid === undefined) return;
    for (const r of batch.results) {
      await writeCoverage(trx, cid, batch.ts, r, batch.tokenId ?? null);
      if (r.state === 'ok') await writeResult(trx, cid, batch.cluster, batch.ts, r, opts);
    }
    // the TLS handshake's certificate, beside the API's rows of the node (v_certificate_latest picks)
    for (const h of batch.handshake ?? []) {
      const c = h.row;
      await sql`delete from node_certificates where cluster_id = ${cid} and node = ${h.node} and source = 'handshake'`.execute(trx);
      await sql`insert into node_certificates (cluster_id, node, filename, source, subject, issuer, notbefore, notafter, fingerprint, san, last_seen)
        values (${cid}, ${h.node}, ${c.filename}, 'handshake', ${c.subject}, ${c.issuer}, ${i(c.notbefore)}, ${i(c.notafter)}, ${c.fingerprint}, ${c.san}, ${batch.ts})
        on conflict (cluster_id, node, filename) do update set source = excluded.source, subject = excluded.subject, issuer = excluded.issuer,
          notbefore = excluded.notbefore, notafter = excluded.notafter, fingerprint = excluded.fingerprint, san = excluded.san, last_seen = excluded.last_seen`.execute(trx);
    }
  });
}

async function writeCoverage(trx: Db, cid: number, ts: number, r: SignalResult, tokenId: string | null): Promise<void> {
  const ok = r.state === 'ok' ? ts : null;
  await sql`insert into health_coverage (cluster_id, signal, node, state, privilege, acl_path, message, token_id, last_try, last_ok)
    values (${cid}, ${r.signal}, ${r.node}, ${r.state}, ${r.privilege ?? null}, ${r.aclPath ?? null}, ${r.message ?? null}, ${tokenId}, ${ts}, ${ok})
    on conflict (cluster_id, signal, node) do update set state = excluded.state, privilege = excluded.privilege,
      acl_path = excluded.acl_path, message = excluded.message, token_id = excluded.token_id, last_try = excluded.last_try,
      last_ok = coalesce(excluded.last_ok, health_coverage.last_ok)`.execute(trx);
}

async function writeJobs(trx: Db, cid: number, cluster: string, ts: number, jobs: BackupJobRow[], opts: HealthWriteOptions): Promise<void> {
  for (const j of jobs) {
    const selection = j.all ? 'all' : j.pool ? `pool:${j.pool}` : j.vmids.join(',');
    await sql`insert into backup_jobs (cluster_id, job_id, enabled, schedule, storage, mode, selection, node, pool, exclude, comment, next_run, rpo_s, first_seen, last_seen)
      values (${cid}, ${j.jobId}, ${b(j.enabled)}, ${j.schedule}, ${j.storage}, ${j.mode}, ${selection}, ${j.node}, ${j.pool}, ${j.exclude.join(',') || null}, ${j.comment}, ${i(j.nextRun)}, ${i(j.rpoS)}, ${ts}, ${ts})
      on conflict (cluster_id, job_id) do update set enabled = excluded.enabled, schedule = excluded.schedule, storage = excluded.storage,
        mode = excluded.mode, selection = excluded.selection, node = excluded.node, pool = excluded.pool, exclude = excluded.exclude,
        comment = excluded.comment, next_run = excluded.next_run, rpo_s = excluded.rpo_s, last_seen = excluded.last_seen`.execute(trx);
  }
  await sql`delete from backup_jobs where cluster_id = ${cid} and last_seen < ${ts}`.execute(trx);
  // which job covers which guest, as vzdump selects them: all (minus exclude) or a list or a pool, optionally one node
  await sql`delete from backup_guest_jobs where cluster_id = ${cid}`.execute(trx);
  const guests = await rows<{ vmid: number; node: string; pool: string | null }>(trx, sql`select vmid, node, pool from guests where cluster_id = ${cid} and removed_at is null`);
  for (const j of jobs) {
    if (!j.enabled) continue;
    const covered = guests.filter((g) => (!j.node || g.node === j.node) && (j.all ? !j.exclude.includes(g.vmid) : j.pool ? g.pool === j.pool : j.vmids.includes(g.vmid)));
    for (const g of covered) {
      await sql`insert into backup_guest_jobs (cluster_id, vmid, job_id, rpo_s) values (${cid}, ${g.vmid}, ${j.jobId}, ${guestRpo(cluster, g.vmid, j.rpoS, opts.rpoOverrides)})
        on conflict do nothing`.execute(trx);
    }
  }
}

async function upsertTask(trx: Db, cid: number, t: BackupTaskRow): Promise<void> {
  await sql`insert into backup_tasks (cluster_id, upid, node, vmid, starttime, endtime, status)
    values (${cid}, ${t.upid}, ${t.node}, ${t.vmid}, ${t.starttime}, ${t.endtime}, ${t.status})
    on conflict (cluster_id, upid) do update set endtime = coalesce(excluded.endtime, backup_tasks.endtime),
      status = coalesce(excluded.status, backup_tasks.status)`.execute(trx);
}

async function writeResult(trx: Db, cid: number, cluster: string, ts: number, r: SignalResult, opts: HealthWriteOptions): Promise<void> {
  const node = r.node;
  switch (r.kind) {
    case 'none':
      return;
    case 'backup_jobs':
      await writeJobs(trx, cid, cluster, ts, r.jobs, opts);
      if (r.excluded) {
        await sql`delete from backup_excluded_volumes where cluster_id = ${cid}`.execute(trx);
        for (const e of r.excluded) {
          await sql`insert into backup_excluded_volumes (cluster_id, job_id, vmid, volume, name, reason, last_seen)
            values (${cid}, ${e.jobId}, ${e.vmid}, ${e.volume}, ${e.name}, ${e.reason}, ${ts}) on conflict do nothing`.execute(trx);
        }
      }
      return;
    case 'backup_not_in_job':
      for (const g of r.rows) {
        await sql`insert into backup_not_in_job (cluster_id, vmid, name, type, first_seen, last_seen) values (${cid}, ${g.vmid}, ${g.name}, ${g.type}, ${ts}, ${ts})
          on conflict (cluster_id, vmid) do update set name = excluded.name, type = excluded.type, last_seen = excluded.last_seen`.execute(trx);
      }
      await sql`delete from backup_not_in_job where cluster_id = ${cid} and last_seen < ${ts}`.execute(trx);
      return;
    case 'backup_tasks':
      for (const t of r.rows) await upsertTask(trx, cid, t);
      return;
    case 'backup_log':
      for (const run of r.runs) {
        await sql`insert into backup_runs (cluster_id, upid, vmid, node, starttime, endtime, duration_s, ok, error, size_bytes, storage, archive)
          values (${cid}, ${run.upid}, ${run.vmid}, ${run.node}, ${i(run.starttime)}, ${i(run.endtime)}, ${i(run.durationS)}, ${b(run.ok)}, ${run.error}, ${i(run.sizeBytes)}, ${run.storage}, ${run.archive})
          on conflict do nothing`.execute(trx);
      }
      await sql`update backup_tasks set log_read_at = ${ts} where cluster_id = ${cid} and upid = ${r.upid}`.execute(trx);
      return;
    case 'disks': {
      const before = new Map((await rows<{ devpath: string; health: string | null; wearout: number | null; serial: string | null }>(trx, sql`select devpath, health, wearout, serial from disks where cluster_id = ${cid} and node = ${node}`)).map((d) => [d.devpath, d]));
      for (const d of r.rows) {
        const old = before.get(d.devpath);
        const changed = !old || old.health !== d.health || old.wearout !== d.wearout || old.serial !== d.serial;
        if (changed) {
          await sql`insert into disk_changes (cluster_id, node, devpath, ts, serial, health, wearout) values (${cid}, ${node}, ${d.devpath}, ${ts}, ${d.serial}, ${d.health}, ${d.wearout})
            on conflict do nothing`.execute(trx);
        }
        await sql`insert into disks (cluster_id, node, devpath, type, model, serial, vendor, wwn, size_bytes, rpm, used, health, wearout, first_seen, last_seen, changed_at)
          values (${cid}, ${node}, ${d.devpath}, ${d.type}, ${d.model}, ${d.serial}, ${d.vendor}, ${d.wwn}, ${i(d.sizeBytes)}, ${i(d.rpm)}, ${d.used}, ${d.health}, ${d.wearout}, ${ts}, ${ts}, ${ts})
          on conflict (cluster_id, node, devpath) do update set type = excluded.type, model = excluded.model, serial = excluded.serial,
            vendor = excluded.vendor, wwn = excluded.wwn, size_bytes = excluded.size_bytes, rpm = excluded.rpm, used = excluded.used,
            health = excluded.health, wearout = excluded.wearout, last_seen = excluded.last_seen,
            changed_at = ${changed ? ts : sql`disks.changed_at`}`.execute(trx);
      }
      await sql`delete from disks where cluster_id = ${cid} and node = ${node} and last_seen < ${ts}`.execute(trx);
      return;
    }
    case 'zfs':
      for (const p of r.rows) {
        await sql`insert into zfs_pools (cluster_id, node, pool, health, size_bytes, alloc_bytes, free_bytes, frag, dedup, first_seen, last_seen, changed_at)
          values (${cid}, ${node}, ${p.pool}, ${p.health}, ${i(p.sizeBytes)}, ${i(p.allocBytes)}, ${i(p.freeBytes)}, ${i(p.frag)}, ${p.dedup}, ${ts}, ${ts}, ${ts})
          on conflict (cluster_id, node, pool) do update set size_bytes = excluded.size_bytes, alloc_bytes = excluded.alloc_bytes,
            free_bytes = excluded.free_bytes, frag = excluded.frag, dedup = excluded.dedup, last_seen = excluded.last_seen,
            changed_at = case when zfs_pools.health is not distinct from excluded.health then zfs_pools.changed_at else excluded.changed_at end,
            health = excluded.health`.execute(trx);
        await zfsChange(trx, cid, node, p.pool, ts);
      }
      await sql`delete from zfs_pools where cluster_id = ${cid} and node = ${node} and last_seen < ${ts}`.execute(trx);
      return;
    case 'zfs_detail': {
      const d = r.row;
      await sql`update zfs_pools set health = coalesce(${d.health}, health), scan = ${d.scan}, last_scrub_end = ${d.lastScrubEnd}, errors = ${d.errors},
          read_errors = ${d.readErrors}, write_errors = ${d.writeErrors}, cksum_errors = ${d.cksumErrors}, detail_at = ${ts}
        where cluster_id = ${cid} and node = ${node} and pool = ${d.pool}`.execute(trx);
      await zfsChange(trx, cid, node, d.pool, ts);
      return;
    }
    case 'lvm_thin':
      for (const t of r.rows) {
        await sql`insert into lvm_thin_pools (cluster_id, node, vg, lv, size_bytes, used_bytes, metadata_size_bytes, metadata_used_bytes, first_seen, last_seen)
          values (${cid}, ${node}, ${t.vg}, ${t.lv}, ${i(t.sizeBytes)}, ${i(t.usedBytes)}, ${i(t.metadataSizeBytes)}, ${i(t.metadataUsedBytes)}, ${ts}, ${ts})
          on conflict (cluster_id, node, vg, lv) do update set size_bytes = excluded.size_bytes, used_bytes = excluded.used_bytes,
            metadata_size_bytes = excluded.metadata_size_bytes, metadata_used_bytes = excluded.metadata_used_bytes, last_seen = excluded.last_seen`.execute(trx);
        await sql`insert into lvm_thin_samples (ts, cluster_id, node, vg, lv, used_bytes, metadata_used_bytes)
          values (${ts}, ${cid}, ${node}, ${t.vg}, ${t.lv}, ${i(t.usedBytes)}, ${i(t.metadataUsedBytes)}) on conflict do nothing`.execute(trx);
      }
      await sql`delete from lvm_thin_pools where cluster_id = ${cid} and node = ${node} and last_seen < ${ts}`.execute(trx);
      return;
    case 'ha': {
      const h = r.rows;
      await sql`insert into ha_manager (cluster_id, quorate, master_node, master_status, ts) values (${cid}, ${b(h.quorate)}, ${h.masterNode}, ${h.masterStatus}, ${ts})
        on conflict (cluster_id) do update set quorate = excluded.quorate, master_node = excluded.master_node, master_status = excluded.master_status, ts = excluded.ts`.execute(trx);
      await sql`delete from ha_nodes where cluster_id = ${cid}`.execute(trx);
      for (const n of h.nodes) {
        await sql`insert into ha_nodes (cluster_id, node, lrm_state, lrm_status, node_state, fenced, ts) values (${cid}, ${n.node}, ${n.lrmState}, ${n.lrmStatus}, ${n.nodeState}, ${b(n.fenced)}, ${ts})`.execute(trx);
      }
      const before = new Map((await rows<{ sid: string; state: string | null }>(trx, sql`select sid, state from ha_services where cluster_id = ${cid}`)).map((s) => [s.sid, s.state]));
      for (const s of h.services) {
        const old = before.get(s.sid);
        const changed = old === undefined || old !== s.state;
        if (changed) {
          await sql`insert into ha_service_changes (cluster_id, sid, ts, from_state, to_state, node) values (${cid}, ${s.sid}, ${ts}, ${old ?? null}, ${s.state}, ${s.node}) on conflict do nothing`.execute(trx);
        }
        await sql`insert into ha_services (cluster_id, sid, vmid, node, state, crm_state, request_state, status, changed_at, last_seen)
          values (${cid}, ${s.sid}, ${s.vmid}, ${s.node}, ${s.state}, ${s.crmState}, ${s.requestState}, ${s.status}, ${ts}, ${ts})
          on conflict (cluster_id, sid) do update set vmid = excluded.vmid, node = excluded.node, state = excluded.state, crm_state = excluded.crm_state,
            request_state = excluded.request_state, status = excluded.status, last_seen = excluded.last_seen,
            changed_at = ${changed ? ts : sql`ha_services.changed_at`}`.execute(trx);
      }
      await sql`delete from ha_services where cluster_id = ${cid} and last_seen < ${ts}`.execute(trx);
      return;
    }
    case 'ceph': {
      const c = r.rows;
      const checks = JSON.stringify(c.checks);
      const old = (await rows<{ health: string }>(trx, sql`select health from ceph_status where cluster_id = ${cid}`))[0];
      const changed = !old || old.health !== c.health;
      if (changed) await sql`insert into ceph_health_changes (cluster_id, ts, from_health, to_health, checks) values (${cid}, ${ts}, ${old?.health ?? null}, ${c.health}, ${checks}) on conflict do nothing`.execute(trx);
      await sql`insert into ceph_status (cluster_id, health, checks, osds, osds_up, osds_in, pgs, bytes_used, bytes_total, ts, changed_at)
        values (${cid}, ${c.health}, ${checks}, ${i(c.osds)}, ${i(c.osdsUp)}, ${i(c.osdsIn)}, ${i(c.pgs)}, ${i(c.bytesUsed)}, ${i(c.bytesTotal)}, ${ts}, ${ts})
        on conflict (cluster_id) do update set health = excluded.health, checks = excluded.checks, osds = excluded.osds, osds_up = excluded.osds_up,
          osds_in = excluded.osds_in, pgs = excluded.pgs, bytes_used = excluded.bytes_used, bytes_total = excluded.bytes_total, ts = excluded.ts,
          changed_at = ${changed ? ts : sql`ceph_status.changed_at`}`.execute(trx);
      return;
    }
    case 'ceph_pools':
      await sql`delete from ceph_pools where cluster_id = ${cid}`.execute(trx);
      for (const p of r.rows) {
        await sql`insert into ceph_pools (cluster_id, pool, pool_id, size, min_size, bytes_used, percent_used, max_avail_bytes, last_seen)
          values (${cid}, ${p.pool}, ${i(p.poolId)}, ${i(p.size)}, ${i(p.minSize)}, ${i(p.bytesUsed)}, ${p.percentUsed}, ${i(p.maxAvailBytes)}, ${ts}) on conflict do nothing`.execute(trx);
      }
      return;
    case 'replication': {
      const before = new Map((await rows<{ job_id: string; fail_count: number | null; error: string | null }>(trx, sql`select job_id, fail_count, error from replication_jobs where cluster_id = ${cid}`)).map((j) => [j.job_id, j]));
      for (const j of r.rows) {
        const old = before.get(j.jobId);
        if (!old || old.fail_count !== j.failCount || old.error !== j.error) {
          await sql`insert into replication_changes (cluster_id, job_id, ts, fail_count, error) values (${cid}, ${j.jobId}, ${ts}, ${j.failCount}, ${j.error}) on conflict do nothing`.execute(trx);
        }
        await sql`insert into replication_jobs (cluster_id, job_id, guest, source, target, schedule, last_sync, last_try, next_sync, duration_s, fail_count, error, first_seen, last_seen)
          values (${cid}, ${j.jobId}, ${j.guest}, ${j.source ?? node}, ${j.target}, ${j.schedule}, ${i(j.lastSync)}, ${i(j.lastTry)}, ${i(j.nextSync)}, ${j.durationS}, ${j.failCount}, ${j.error}, ${ts}, ${ts})
          on conflict (cluster_id, job_id) do update set guest = excluded.guest, source = excluded.source, target = excluded.target, schedule = excluded.schedule,
            last_sync = excluded.last_sync, last_try = excluded.last_try, next_sync = excluded.next_sync, duration_s = excluded.duration_s,
            fail_count = excluded.fail_count, error = excluded.error, last_seen = excluded.last_seen`.execute(trx);
      }
      // a node lists the jobs it is the source of; its vanished ones go
      await sql`delete from replication_jobs where cluster_id = ${cid} and source = ${node} and last_seen < ${ts}`.execute(trx);
      return;
    }
    case 'certificates':
      await sql`delete from node_certificates where cluster_id = ${cid} and node = ${node} and source = 'api'`.execute(trx);
      for (const c of r.rows) {
        await sql`insert into node_certificates (cluster_id, node, filename, source, subject, issuer, notbefore, notafter, fingerprint, san, last_seen)
          values (${cid}, ${node}, ${c.filename}, ${c.source}, ${c.subject}, ${c.issuer}, ${i(c.notbefore)}, ${i(c.notafter)}, ${c.fingerprint}, ${c.san}, ${ts})
          on conflict (cluster_id, node, filename) do update set source = excluded.source, subject = excluded.subject, issuer = excluded.issuer,
            notbefore = excluded.notbefore, notafter = excluded.notafter, fingerprint = excluded.fingerprint, san = excluded.san, last_seen = excluded.last_seen`.execute(trx);
      }
      return;
    case 'apt_versions': {
      const s = r.row;
      const old = (await rows<{ running_kernel: string | null; newest_kernel: string | null; manager_version: string | null; reboot_required: number | null; reboot_required_since: number | null }>(
        trx,
        sql`select running_kernel, newest_kernel, manager_version, reboot_required, reboot_required_since from node_software where cluster_id = ${cid} and node = ${node}`,
      ))[0];
      if (!old || old.running_kernel !== s.runningKernel || old.newest_kernel !== s.newestKernel || old.manager_version !== s.managerVersion) {
        await sql`insert into node_software_changes (cluster_id, node, ts, running_kernel, newest_kernel, manager_version) values (${cid}, ${node}, ${ts}, ${s.runningKernel}, ${s.newestKernel}, ${s.managerVersion}) on conflict do nothing`.execute(trx);
      }
      const since = s.rebootRequired ? (old?.reboot_required === 1 && old.newest_kernel === s.newestKernel ? old.reboot_required_since : ts) : null;
      await sql`insert into node_software (cluster_id, node, running_kernel, newest_kernel, manager_version, pve_version, reboot_required, reboot_required_since, last_seen)
        values (${cid}, ${node}, ${s.runningKernel}, ${s.newestKernel}, ${s.managerVersion}, ${s.pveVersion}, ${b(s.rebootRequired)}, ${since}, ${ts})
        on conflict (cluster_id, node) do update set running_kernel = excluded.running_kernel, newest_kernel = excluded.newest_kernel,
          manager_version = excluded.manager_version, pve_version = excluded.pve_version, reboot_required = excluded.reboot_required,
          reboot_required_since = excluded.reboot_required_since, last_seen = excluded.last_seen`.execute(trx);
      return;
    }
  }
}

/** Adds a zfs_pool_changes row when the pool's health or error counts differ from its last one. */
async function zfsChange(trx: Db, cid: number, node: string, pool: string, ts: number): Promise<void> {
  const cur = (await rows<{ health: string | null; read_errors: number | null; write_errors: number | null; cksum_errors: number | null }>(trx, sql`select health, read_errors, write_errors, cksum_errors from zfs_pools where cluster_id = ${cid} and node = ${node} and pool = ${pool}`))[0];
  // history starts once the detail (scan, error counters) has been read: before, errors are unknown, not zero
  if (!cur || cur.cksum_errors === null) return;
  const last = (await rows<{ health: string | null; read_errors: number | null; write_errors: number | null; cksum_errors: number | null }>(
    trx,
    sql`select health, read_errors, write_errors, cksum_errors from zfs_pool_changes where cluster_id = ${cid} and node = ${node} and pool = ${pool} order by ts desc limit 1`,
  ))[0];
  if (last && last.health === cur.health && last.read_errors === cur.read_errors && last.write_errors === cur.write_errors && last.cksum_errors === cur.cksum_errors) return;
  await sql`insert into zfs_pool_changes (cluster_id, node, pool, ts, health, read_errors, write_errors, cksum_errors)
    values (${cid}, ${node}, ${pool}, ${ts}, ${cur.health}, ${cur.read_errors}, ${cur.write_errors}, ${cur.cksum_errors})
    on conflict (cluster_id, node, pool, ts) do update set health = excluded.health, read_errors = excluded.read_errors,
      write_errors = excluded.write_errors, cksum_errors = excluded.cksum_errors`.execute(trx);
}

/** The store's side of what the health tier needs to know (survives restarts). */
export function healthKnowledge(db: Kysely<Database>): HealthKnowledge {
  const cid = (name: string) => getClusterId(db, name);
  return {
    async pendingLogs(cluster, limit) {
      const id = await cid(cluster);
      if (id === undefined) return [];
      const r = await rows<{ upid: string; node: string; vmid: number | null; starttime: number; endtime: number | null; status: string | null }>(
        db,
        sql`select upid, node, vmid, starttime, endtime, status from backup_tasks
            where cluster_id = ${id} and log_read_at is null and endtime is not null order by starttime desc limit ${limit}`,
      );
      return r.map((t) => ({ ...t }));
    },
    async zfsPools(cluster) {
      const id = await cid(cluster);
      if (id === undefined) return [];
      return rows<{ node: string; pool: string }>(db, sql`select node, pool from zfs_pools where cluster_id = ${id} order by node, pool`);
    },
    async cephPresent(cluster) {
      const id = await cid(cluster);
      if (id === undefined) return null;
      const r = (await rows<{ state: string }>(db, sql`select state from health_coverage where cluster_id = ${id} and signal = 'ceph' and node = ''`))[0];
      return r ? (r.state === 'absent' ? false : r.state === 'ok' ? true : null) : null;
    },
    async backupTaskWatermarks(cluster) {
      const id = await cid(cluster);
      if (id === undefined) return new Map();
      const r = await rows<{ node: string; t: number }>(db, sql`select node, max(starttime) as t from backup_tasks where cluster_id = ${id} group by node`);
      return new Map(r.map((x) => [x.node, x.t]));
    },
  };
}

const HISTORY_TABLES: Array<[string, string]> = [
  ['lvm_thin_samples', 'ts'],
  ['backup_runs', 'starttime'],
  ['backup_tasks', 'starttime'],
  ['disk_changes', 'ts'],
  ['zfs_pool_changes', 'ts'],
  ['ha_service_changes', 'ts'],
  ['ceph_health_changes', 'ts'],
  ['replication_changes', 'ts'],
  ['node_software_changes', 'ts'],
];

/**
 * Deletes health history older than `cutoff` (epoch s), at most `limit` rows per table per call,
 * so a first prune of a large backlog never stalls a cycle. Returns the rows deleted.
 */
export async function pruneHealthHistory(db: Kysely<Database>, cutoff: number, limit = 2000): Promise<number> {
  let n = 0;
  const rowId = isPostgres(db) ? sql`ctid` : sql`rowid`; // a row's physical address: rowid on SQLite, ctid on PostgreSQL (#17)
  for (const [table, col] of HISTORY_TABLES) {
    const r = await sql`delete from ${sql.ref(table)} where ${rowId} in (select ${rowId} from ${sql.ref(table)} where ${sql.ref(col)} < ${cutoff} limit ${limit})`.execute(db);
    n += Number(r.numAffectedRows ?? 0);
  }
  return n;
}
