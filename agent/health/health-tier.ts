// The slower poll tiers (issue #15): after the fast loop, each cycle reads the health signals that
// are due (health-schedule.ts spreads every read evenly over its period), plus at most a few
// finished vzdump logs per cluster, and returns one HealthBatch per cluster for the store. Only
// clusters the fast loop reached this cycle are read, only their online nodes. A 403 degrades that
// one signal (recorded with the privilege Proxmox named); nothing here writes to Proxmox.
import { setMaxListeners } from 'node:events';
import type { HealthConfig } from '../config/health-config.schema.ts';
import { PmiError, errorMessage } from '../errors.ts';
import type { Logger } from '../log/logger.ts';
import type { PollResult } from '../poll/poll-cycle.ts';
import { mapPool } from '../poll/promise-pool.ts';
import type { PveClient, PveClientStats, RequestOptions } from '../pve/pve-client.types.ts';
import { parseItems } from '../pve/pve-schemas.ts';
import type { BackupTaskRow, HealthBatch, HealthSignal, SignalResult } from './health-rows.ts';
import { needOf, parseForbidden } from './health-privileges.ts';
import { dueReads, periodCycles, type ScheduledRead } from './health-schedule.ts';
import { AptVersionItem, BackupJobItem, CephPoolItem, CephStatus, CertificateItem, DiskItem, HaStatusItem, IncludedVolumes, NodeTaskItem, NotBackedUpItem, ReplicationItem, TaskLogLine, ThinPoolItem, ZfsPoolDetail, ZfsPoolItem } from './health-schemas.ts';
import { mapAptVersions, mapBackupJobs, mapBackupTasks, mapCephPools, mapCephStatus, mapCertificates, mapDisks, endpointNode, mapPeerCertificate, mapExcludedVolumes, mapHaStatus, mapNotBackedUp, mapReplication, mapThinPools, mapZfsDetail, mapZfsPools } from './map-health.ts';
import { parseVzdumpLog } from './parse-vzdump-log.ts';
import type { z } from 'zod';

/** What the store knows that the tier needs (it survives restarts there). */
export interface HealthKnowledge {
  /** Finished vzdump tasks whose log was not read yet, newest first, at most `limit`. */
  pendingLogs(cluster: string, limit: number): Promise<BackupTaskRow[]>;
  /** ZFS pools last listed, per node. */
  zfsPools(cluster: string): Promise<Array<{ node: string; pool: string }>>;
  /** Whether Ceph answered last time: true, false (not configured), null (never asked). */
  cephPresent(cluster: string): Promise<boolean | null>;
  /** Newest vzdump task start known per node (the node task lists are read from there on). */
  backupTaskWatermarks(cluster: string): Promise<Map<string, number>>;
}

export interface HealthTierDeps {
  clients: Map<string, PveClient>;
  log: Logger;
  /** Epoch ms. */
  now: () => number;
  intervalSeconds: number;
  config: HealthConfig;
  knowledge: HealthKnowledge;
  /** Clusters read at once (default 8). */
  concurrency?: number;
}

export interface HealthTier {
  /** Reads what is due for every cluster the fast loop reached; one batch per cluster. */
  runCycle(outcomes: readonly PollResult[], opts?: { signal?: AbortSignal }): Promise<HealthBatch[]>;
  /** Requests made by the last runCycle (retries included). */
  lastRequests(): number;
}

type Every = HealthConfig['every'];
const CLUSTER_SIGNALS: Array<[HealthSignal, keyof Every]> = [
  ['backup_jobs', 'backupJobs'],
  ['backup_not_in_job', 'backupNotInJob'],
  ['ha', 'ha'],
  ['ceph', 'ceph'],
  ['ceph_pools', 'cephPools'],
];
const NODE_SIGNALS: Array<[HealthSignal, keyof Every]> = [
  ['backup_tasks', 'backupTasks'],
  ['disks', 'disks'],
  ['zfs', 'zfs'],
  ['lvm_thin', 'lvmThin'],
  ['replication', 'replication'],
  ['apt_versions', 'aptVersions'],
  ['certificates', 'certificates'],
];

/** Ceph not set up on this cluster: pveceph's "not initialized" / "binary not installed" deaths. */
function cephAbsent(err: unknown): boolean {
  return err instanceof PmiError && err.code === 'PVE_HTTP' && /not initialized|not installed|no such file|rados_connect|ENOENT/i.test(err.message);
}

const enc = encodeURIComponent;

/** Creates the tier; its cycle counter drives the schedule (the same keys always get the same phases). */
export function createHealthTier(deps: HealthTierDeps): HealthTier {
  const every = deps.config.every;
  const p = (k: keyof Every) => periodCycles(every[k], deps.intervalSeconds);
  let cycle = -1;
  let requests = 0;
  /** cluster → cycle the included_volumes of its jobs were last read. */
  const includedAt = new Map<string, number>();
  /** cluster → vzdump logs it may read now: refilled each cycle by logsPerNodePerHour, capped at one hour's worth. */
  const logTokens = new Map<string, number>();

  function schedule(outcomes: readonly PollResult[], pools: Map<string, Array<{ node: string; pool: string }>>, ceph: Map<string, boolean | null>): ScheduledRead[] {
    const reads: ScheduledRead[] = [];
    for (const o of outcomes) {
      const c = o.cluster;
      for (const [s, k] of CLUSTER_SIGNALS) {
        // without Ceph, ask again only now and then (a cluster may get it later)
        if (s === 'ceph_pools' && ceph.get(c) !== true) continue;
        reads.push({ key: `${c}|${s}|`, periodCycles: s === 'ceph' && ceph.get(c) === false ? p('ceph') * 6 : p(k) });
      }
      for (const n of o.snapshot!.nodes) {
        for (const [s, k] of NODE_SIGNALS) reads.push({ key: `${c}|${s}|${n.node}`, periodCycles: p(k) });
      }
      for (const z of pools.get(c) ?? []) reads.push({ key: `${c}|zfs_detail|${z.node}|${z.pool}`, periodCycles: p('zfsDetail') });
    }
    return reads;
  }

  async function readCluster(o: PollResult, due: Set<string>, stop: AbortSignal | undefined, pools: Array<{ node: string; pool: string }>): Promise<HealthBatch> {
    const client = deps.clients.get(o.cluster)!;
    const c = o.cluster;
    const snap = o.snapshot!;
    const stats: PveClientStats = { requests: 0, errors: 0, retries: 0 };
    const ac = new AbortController();
    setMaxListeners(0, ac.signal); // shared by every request of the tier's turn
    const timer = setTimeout(() => ac.abort(), (client.timeoutMs ?? 10_000) * 3);
    const onStop = () => ac.abort();
    stop?.addEventListener('abort', onStop, { once: true });
    const opts: RequestOptions = { signal: ac.signal, stats };
    const results: SignalResult[] = [];
    const online = new Set(snap.nodes.filter((n) => n.status === 'online').map((n) => n.node));
    const anyNode = [...online].sort()[0];

    /** Runs one read; turns its failure into the signal's degraded state. */
    const read = async (signal: HealthSignal, node: string, fn: () => Promise<SignalResult>, o2: { absentOn?: (e: unknown) => boolean } = {}): Promise<void> => {
      try {
        results.push(await fn());
      } catch (err) {
        if (ac.signal.aborted && !(err instanceof PmiError && err.code === 'PVE_FORBIDDEN')) {
          results.push({ signal, node, state: 'error', message: `not read: ${stop?.aborted ? 'the agent is stopping' : 'time budget used up'}`, kind: 'none' });
          return;
        }
        const msg = errorMessage(err);
        if (err instanceof PmiError && err.code === 'PVE_FORBIDDEN') {
          const f = parseForbidden(msg);
          const need = needOf(signal);
          results.push({ signal, node, state: 'forbidden', privilege: f?.privilege ?? need.privilege, aclPath: f?.aclPath ?? need.aclPath.replace('{node}', node), message: msg, kind: 'none' });
          deps.log.warn({ cluster: c, signal, node: node || undefined }, `health: ${signal} ${node ? `on ${node} ` : ''}not readable: ${msg}`);
        } else if (o2.absentOn?.(err)) {
          results.push({ signal, node, state: 'absent', message: msg, kind: 'none' });
        } else {
          results.push({ signal, node, state: 'error', message: msg, kind: 'none' });
          deps.log.warn({ cluster: c, signal, node: node || undefined, code: (err as PmiError).code }, `health: ${signal} ${node ? `on ${node} ` : ''}failed: ${msg}`);
        }
      }
    };
    const list = async <T>(schema: z.ZodType<T>, path: string, query?: Record<string, string | number>): Promise<T[]> => {
      const r = parseItems(schema, await client.get(path, query, opts));
      if (r.issues[0]?.index === -1) throw new PmiError('PVE_BAD_RESPONSE', `${path}: ${r.issues[0].message}`);
      if (r.issues.length) deps.log.warn({ cluster: c, path }, `health: ${path}: ${r.issues.length} malformed entries skipped (first: ${r.issues[0]!.message})`);
      return r.items;
    };
    const one = async <T>(schema: z.ZodType<T>, path: string): Promise<T> => {
      const r = schema.safeParse(await client.get(path, undefined, opts));
      if (!r.success) throw new PmiError('PVE_BAD_RESPONSE', `${path}: unexpected answer`);
      return r.data;
    };
    const isDue = (signal: string, node = '') => due.has(`${c}|${signal}|${node}`);

    const jobs: Array<() => Promise<void>> = [];
    // vzdump tasks the fast loop saw this cycle (no request)
    const seen = snap.tasks.filter((t) => t.type === 'vzdump');
    if (seen.length) results.push({ signal: 'backup_tasks', node: '', state: 'ok', kind: 'backup_tasks', rows: seen.map((t) => ({ upid: t.upid, node: t.node, vmid: t.vmid, starttime: t.starttime, endtime: t.endtime, status: t.status })) });

    if (isDue('backup_jobs'))
      jobs.push(() =>
        read('backup_jobs', '', async () => {
          const rows = mapBackupJobs(await list(BackupJobItem, '/cluster/backup'));
          let excluded = null;
          const last = includedAt.get(c);
          if (last === undefined || cycle - last >= p('includedVolumes')) {
            excluded = [];
            for (const j of rows) excluded.push(...mapExcludedVolumes(j.jobId, await one(IncludedVolumes, `/cluster/backup/${enc(j.jobId)}/included_volumes`)));
            includedAt.set(c, cycle);
          }
          return { signal: 'backup_jobs', node: '', state: 'ok', kind: 'backup_jobs', jobs: rows, excluded };
        }),
      );
    if (isDue('backup_not_in_job')) jobs.push(() => read('backup_not_in_job', '', async () => ({ signal: 'backup_not_in_job', node: '', state: 'ok', kind: 'backup_not_in_job', rows: mapNotBackedUp(await list(NotBackedUpItem, '/cluster/backup-info/not-backed-up')) })));
    if (isDue('ha')) jobs.push(() => read('ha', '', async () => ({ signal: 'ha', node: '', state: 'ok', kind: 'ha', rows: mapHaStatus(await list(HaStatusItem, '/cluster/ha/status/current')) })));
    // Ceph's absence is a 500: not worth retrying
    if (isDue('ceph')) jobs.push(() => read('ceph', '', async () => ({ signal: 'ceph', node: '', state: 'ok', kind: 'ceph', rows: mapCephStatus(await oneNoRetry(CephStatus, '/cluster/ceph/status')) }), { absentOn: cephAbsent }));
    if (isDue('ceph_pools') && anyNode) jobs.push(() => read('ceph_pools', '', async () => ({ signal: 'ceph_pools', node: '', state: 'ok', kind: 'ceph_pools', rows: mapCephPools(await list(CephPoolItem, `/nodes/${enc(anyNode)}/ceph/pool`)) }), { absentOn: cephAbsent }));
    async function oneNoRetry<T>(schema: z.ZodType<T>, path: string): Promise<T> {
      const r = schema.safeParse(await client.get(path, undefined, { ...opts, retries: 0 }));
      if (!r.success) throw new PmiError('PVE_BAD_RESPONSE', `${path}: unexpected answer`);
      return r.data;
    }

    const watermarks = isDueAny(due, c, 'backup_tasks') ? await deps.knowledge.backupTaskWatermarks(c) : new Map<string, number>();
    const lookback = Math.floor(deps.now() / 1000) - deps.config.backupLookbackDays * 86_400;
    for (const node of [...online].sort()) {
      const n = enc(node);
      if (isDue('backup_tasks', node))
        jobs.push(() =>
          read('backup_tasks', node, async () => {
            const since = Math.max(lookback, (watermarks.get(node) ?? 0) - 86_400);
            return { signal: 'backup_tasks', node, state: 'ok', kind: 'backup_tasks', rows: mapBackupTasks(await list(NodeTaskItem, `/nodes/${n}/tasks`, { typefilter: 'vzdump', source: 'archive', since, limit: 0 })) };
          }),
        );
      if (isDue('disks', node)) jobs.push(() => read('disks', node, async () => ({ signal: 'disks', node, state: 'ok', kind: 'disks', rows: mapDisks(await list(DiskItem, `/nodes/${n}/disks/list`)) })));
      if (isDue('zfs', node)) jobs.push(() => read('zfs', node, async () => ({ signal: 'zfs', node, state: 'ok', kind: 'zfs', rows: mapZfsPools(await list(ZfsPoolItem, `/nodes/${n}/disks/zfs`)) })));
      if (isDue('lvm_thin', node)) jobs.push(() => read('lvm_thin', node, async () => ({ signal: 'lvm_thin', node, state: 'ok', kind: 'lvm_thin', rows: mapThinPools(await list(ThinPoolItem, `/nodes/${n}/disks/lvmthin`)) })));
      if (isDue('replication', node)) jobs.push(() => read('replication', node, async () => ({ signal: 'replication', node, state: 'ok', kind: 'replication', rows: mapReplication(await list(ReplicationItem, `/nodes/${n}/replication`)) })));
      if (isDue('apt_versions', node)) jobs.push(() => read('apt_versions', node, async () => ({ signal: 'apt_versions', node, state: 'ok', kind: 'apt_versions', row: mapAptVersions(await list(AptVersionItem, `/nodes/${n}/apt/versions`)) })));
      if (isDue('certificates', node)) jobs.push(() => read('certificates', node, async () => ({ signal: 'certificates', node, state: 'ok', kind: 'certificates', rows: mapCertificates(await list(CertificateItem, `/nodes/${n}/certificates/info`)) })));
    }
    for (const z of pools) {
      if (!online.has(z.node) || !due.has(`${c}|zfs_detail|${z.node}|${z.pool}`)) continue;
      jobs.push(() => read('zfs_detail', z.node, async () => ({ signal: 'zfs_detail', node: z.node, state: 'ok', kind: 'zfs_detail', row: mapZfsDetail(await one(ZfsPoolDetail, `/nodes/${enc(z.node)}/disks/zfs/${enc(z.pool)}`)) })));
    }
    const perHour = deps.config.logsPerNodePerHour * online.size;
    const tokens = Math.min(Math.max(1, perHour), (logTokens.get(c) ?? 1) + (perHour * deps.intervalSeconds) / 3600);
    const limit = Math.floor(tokens);
    logTokens.set(c, tokens);
    if (limit > 0) {
      for (const t of await deps.knowledge.pendingLogs(c, limit)) {
        if (!online.has(t.node)) continue;
        logTokens.set(c, (logTokens.get(c) ?? 1) - 1);
        jobs.push(() =>
          read('backup_logs', t.node, async () => {
            const lines = await list(TaskLogLine, `/nodes/${enc(t.node)}/tasks/${enc(t.upid)}/log`, { start: 0, limit: 0 });
            const runs = parseVzdumpLog({ upid: t.upid, node: t.node, vmid: t.vmid, starttime: t.starttime, endtime: t.endtime, status: t.status }, lines.sort((a, b) => a.n - b.n).map((l) => l.t));
            return { signal: 'backup_logs', node: t.node, state: 'ok', kind: 'backup_log', upid: t.upid, runs };
          }),
        );
      }
    }
    try {
      await mapPool(jobs, 4, (j) => j());
    } finally {
      clearTimeout(timer);
      stop?.removeEventListener('abort', onStop);
    }
    requests += stats.requests;
    // the certificate the polled endpoint presented: no request, stored when the certificates read is due
    const peer = client.peerCertificate?.(snap.endpoint);
    const peerNode = peer && endpointNode(snap.endpoint, snap.nodes);
    const handshake = peer && peerNode && isDue('certificates', peerNode) ? [{ node: peerNode, row: mapPeerCertificate(snap.endpoint, peer) }] : undefined;
    return { cluster: c, ts: snap.ts, results, ...(handshake && { handshake }) };
  }

  return {
    lastRequests: () => requests,
    async runCycle(outcomes, opts = {}) {
      cycle++;
      requests = 0;
      if (!deps.config.enabled) return [];
      const reached = outcomes.filter((o) => o.ok && o.snapshot && !o.duplicateOf && deps.clients.has(o.cluster));
      const pools = new Map<string, Array<{ node: string; pool: string }>>();
      const ceph = new Map<string, boolean | null>();
      for (const o of reached) {
        pools.set(o.cluster, await deps.knowledge.zfsPools(o.cluster));
        ceph.set(o.cluster, await deps.knowledge.cephPresent(o.cluster));
      }
      // only online nodes are scheduled: an offline node's reads wait for its next slot
      const online = reached.map((o) => ({ ...o, snapshot: { ...o.snapshot!, nodes: o.snapshot!.nodes.filter((n) => n.status === 'online') } }));
      const due = dueReads(cycle, schedule(online, pools, ceph));
      return mapPool(online, deps.concurrency ?? 8, (o) => readCluster(o, due, opts.signal, pools.get(o.cluster) ?? []));
    },
  };
}

function isDueAny(due: Set<string>, cluster: string, signal: string): boolean {
  const prefix = `${cluster}|${signal}|`;
  for (const k of due) if (k.startsWith(prefix)) return true;
  return false;
}
