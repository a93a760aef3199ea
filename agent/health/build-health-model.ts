// Pure: health rows (agent/store/health-site.query.ts) → the view models of the Backups page, the
// Health sections of cluster and node pages, the coverage section of the agent page, the
// `health` part of status.json, and a flat attention list (for the overview, issue #14).
// Thresholds are the ones the default alert rules use (db/README.md, "Health").
import { createHash } from 'node:crypto';
import { fmtBytes, fmtDuration, fmtPct, fmtTime } from '../site/format.ts';
import type { HealthSiteRows } from '../store/health-site.query.ts';
import { SIGNAL_NEEDS, pveumGrant } from './health-privileges.ts';
import { buildPbsStatus, buildPbsView, type PbsViewVM } from './pbs-site.model.ts';

export const THRESHOLDS = { wearoutPct: 80, thinMetadata: 0.8, certDays: 21, rebootDays: 7 } as const;

type Level = 'ok' | 'warn' | 'bad';
export interface Cell {
  text: string;
  /** Sort value (data-v). */
  v: number | string;
  level?: Level;
}
const cell = (text: string, v: number | string | null | undefined, level?: Level): Cell => ({ text, v: v ?? '', ...(level ? { level } : {}) });

export interface AttentionItem {
  level: 'warn' | 'bad';
  cluster: string;
  node: string | null;
  signal: string;
  text: string;
}

const STATUS_ORDER: Record<string, number> = { never: 0, overdue: 1, no_job: 2, unknown: 3, ok: 4 };
const STATUS_TEXT: Record<string, string> = { never: 'never backed up', overdue: 'older than RPO', no_job: 'in no backup job', unknown: 'not known yet (backup jobs not read)', ok: 'ok' };

export interface BackupRowVM {
  href: string;
  cluster: string;
  vmid: number;
  name: string;
  node: string;
  status: string;
  statusText: string;
  level: Level;
  age: Cell;
  rpo: Cell;
  lastOk: string;
  /** UPID of the vzdump task of the last good backup. */
  task: string;
  size: string;
  storage: string;
  duration: string;
  lastFail: string;
  lastFailError: string;
  excluded: string;
}

export interface BackupsPageVM {
  counts: { ok: number; overdue: number; never: number; no_job: number; unknown: number };
  rows: BackupRowVM[];
  notInJob: Array<{ href: string; cluster: string; vmid: number; name: string; node: string }>;
  jobs: Array<{ cluster: string; id: string; schedule: string; storage: string; selection: string; rpo: string; guests: number; enabled: boolean; nextRun: string }>;
  coverageNote: string | null;
  pbs: PbsViewVM;
}

/**
 * The SHA-1 (base64url) of everything buildBackupsPage reads (every row field but age_s, which
 * the page does not show: it counts ages from the hour), one line per guest. The site compares
 * this instead of the page's model to learn that the page is unchanged: building and serialising
 * the model of every guest each cycle only to find it unchanged was most of the page's cost. Free
 * text is length-prefixed. The lines are hashed 64 at a time: joining all 10,000 into one string
 * first cost ~30 ms and 2 MB of garbage per cycle (now ~8 ms; the digest is the same).
 */
export function backupsPageKey(h: HealthSiteRows, nowSec: number): string {
  const t = (x: string | null) => (x === null ? '~' : `${x.length}:${x}`);
  const hash = createHash('sha1').update(String(Math.floor(nowSec / 3600)));
  let lines = '';
  for (const [k, g] of h.backupGuests.entries()) {
    lines += `\n${t(g.cluster)}\t${g.vmid}\t${t(g.name)}\t${t(g.node)}\t${g.status}\t${g.rpo_s}\t${g.last_ok_end}\t${g.last_ok_duration_s}\t${g.last_ok_size_bytes}\t${t(g.last_ok_storage)}\t${t(g.last_ok_upid)}\t${g.last_fail_end}\t${t(g.last_fail_error)}`;
    if ((k & 63) === 63) {
      hash.update(lines);
      lines = '';
    }
  }
  hash.update(lines).update(`\n${JSON.stringify([h.excludedVolumes, h.backupJobs, h.coverage.filter((c) => c.signal.startsWith('backup') && c.state === 'forbidden').map((c) => [c.privilege, c.acl_path]), h.pbs ?? null])}`);
  return hash.digest('base64url');
}

/** Whole hours (under 3 days) or days: "27 h", "4 d". */
function coarseAge(s: number): string {
  const hours = Math.floor(s / 3600);
  return hours < 72 ? `${hours} h` : `${Math.floor(hours / 24)} d`;
}

/**
 * The Backups page: every guest with its last backup age against its RPO, worst first. Ages are
 * counted from `nowSec` rounded down to the hour, so the page (thousands of rows) changes once an
 * hour or when a backup or a status changes, not every cycle; the status itself is exact.
 */
export function buildBackupsPage(h: HealthSiteRows, hrefOf: (cluster: string, vmid: number) => string = () => '#', nowSec = 0): BackupsPageVM {
  const hour = Math.floor(nowSec / 3600) * 3600;
  const excluded = new Map<string, string[]>();
  for (const e of h.excludedVolumes) {
    const k = `${e.cluster}/${e.vmid}`;
    excluded.set(k, [...(excluded.get(k) ?? []), e.volume]);
  }
  const counts = { ok: 0, overdue: 0, never: 0, no_job: 0, unknown: 0 };
  const ratioOf = new Map<BackupRowVM, number>();
  const rows = h.backupGuests.map((g): BackupRowVM => {
    counts[g.status]++;
    const age = g.last_ok_end === null ? null : Math.max(0, hour - g.last_ok_end);
    // Worst first by the age the page shows (from the hour), so the page is a function of backupsPageKey.
    const ratio = g.status === 'never' ? Infinity : g.status === 'no_job' ? 1e9 : age !== null && g.rpo_s ? age / g.rpo_s : 0;
    const level: Level = g.status === 'ok' ? 'ok' : g.status === 'no_job' || g.status === 'unknown' ? 'warn' : 'bad';
    const row: BackupRowVM = {
      href: hrefOf(g.cluster, g.vmid),
      cluster: g.cluster,
      vmid: g.vmid,
      name: g.name ?? '',
      node: g.node,
      status: g.status,
      statusText: STATUS_TEXT[g.status] ?? g.status,
      level,
      age: cell(age === null ? '–' : coarseAge(age), age === null ? -1 : Math.floor(age / 3600), level),
      rpo: cell(g.rpo_s === null ? '–' : fmtDuration(g.rpo_s), g.rpo_s ?? -1),
      lastOk: g.last_ok_end ? fmtTime(g.last_ok_end) : '–',
      task: g.last_ok_upid ?? '',
      size: g.last_ok_size_bytes === null ? '–' : fmtBytes(g.last_ok_size_bytes),
      storage: g.last_ok_storage ?? '–',
      duration: g.last_ok_duration_s === null ? '–' : fmtDuration(g.last_ok_duration_s),
      lastFail: g.last_fail_end ? fmtTime(g.last_fail_end) : '–',
      lastFailError: g.last_fail_error ?? '',
      excluded: (excluded.get(`${g.cluster}/${g.vmid}`) ?? []).join(', '),
    };
    ratioOf.set(row, ratio);
    return row;
  });
  rows.sort((a, b) => (STATUS_ORDER[a.status] ?? 9) - (STATUS_ORDER[b.status] ?? 9) || ratioOf.get(b)! - ratioOf.get(a)! || a.cluster.localeCompare(b.cluster) || a.vmid - b.vmid);
  const forbidden = h.coverage.filter((c) => c.signal.startsWith('backup') && c.state === 'forbidden');
  return {
    counts,
    rows,
    notInJob: h.backupGuests.filter((g) => g.status === 'no_job').map((g) => ({ href: hrefOf(g.cluster, g.vmid), cluster: g.cluster, vmid: g.vmid, name: g.name ?? '', node: g.node })),
    jobs: h.backupJobs.map((j) => ({ cluster: j.cluster, id: j.job_id, schedule: j.schedule ?? '–', storage: j.storage ?? '–', selection: j.selection ?? '–', rpo: j.rpo_s === null ? '–' : fmtDuration(j.rpo_s), guests: j.guests, enabled: j.enabled === 1, nextRun: j.next_run ? fmtTime(j.next_run) : '–' })),
    coverageNote: forbidden.length ? `Some backup data cannot be read with this token (${[...new Set(forbidden.map((f) => `${f.privilege} on ${f.acl_path}`))].join('; ')}): see the Agent page.` : null,
    pbs: buildPbsView(h.pbs),
  };
}

export interface HealthSectionVM {
  /** Node column shown (cluster page). */
  showNode: boolean;
  disks: Array<{ node: string; devpath: string; type: string; model: string; serial: string; size: string; health: Cell; wearout: Cell }>;
  zfs: Array<{ node: string; pool: string; health: Cell; alloc: string; frag: string; scrub: Cell; errors: Cell }>;
  thin: Array<{ node: string; name: string; size: string; data: Cell; metadata: Cell }>;
  ha: { summary: string; level: Level; services: Array<{ sid: string; node: string; state: Cell; since: string }>; nodes: Array<{ node: string; state: Cell; status: string }> } | null;
  ceph: { health: Cell; checks: Array<{ name: string; severity: string; message: string }>; osds: string; used: string; pools: Array<{ pool: string; size: string; used: string; pct: string }> } | null;
  replication: Array<{ id: string; guest: string; source: string; target: string; lastSync: Cell; duration: string; failCount: Cell; error: string }>;
  certificates: Array<{ node: string; file: string; source: string; subject: string; expires: Cell }>;
  software: Array<{ node: string; kernel: string; newest: string; manager: string; reboot: Cell }>;
  /** Signals not readable here (missing privilege, failure, not configured). */
  unavailable: Array<{ signal: string; node: string; state: string; text: string }>;
  empty: boolean;
}

const lv = (bad: boolean, warn = false): Level => (bad ? 'bad' : warn ? 'warn' : 'ok');

/** The Health section of a cluster page (node undefined) or of one node's page. */
export function buildHealthSection(h: HealthSiteRows, cluster: string, node?: string): HealthSectionVM {
  const mine = <T extends { cluster: string; node?: string | null }>(rows: T[]) => rows.filter((r) => r.cluster === cluster && (node === undefined || r.node === node));
  const disks = mine(h.disks).map((d) => ({
    node: d.node, devpath: d.devpath, type: d.type ?? '', model: d.model ?? '', serial: d.serial ?? '', size: fmtBytes(d.size_bytes),
    health: cell(d.health ?? 'UNKNOWN', d.health ?? '', lv(!['PASSED', 'OK', 'UNKNOWN'].includes((d.health ?? 'UNKNOWN').toUpperCase()))),
    wearout: cell(d.wearout === null ? 'n/a' : `${d.wearout} % used`, d.wearout ?? -1, d.wearout === null ? undefined : lv(d.wearout >= THRESHOLDS.wearoutPct)),
  }));
  const zfs = mine(h.zfs).map((p) => ({
    node: p.node, pool: p.pool,
    health: cell(p.health ?? '?', p.health ?? '', lv(p.health !== 'ONLINE')),
    alloc: `${fmtPct(p.alloc_fraction)} of ${fmtBytes(p.size_bytes)}`,
    frag: p.frag === null ? '–' : `${p.frag} %`,
    scrub: cell(p.last_scrub_end === null ? 'no scrub known' : fmtTime(p.last_scrub_end), p.last_scrub_end ?? -1, p.scrub_age_s === null || p.scrub_age_s > 35 * 86_400 ? 'warn' : undefined),
    errors: cell(p.read_errors === null ? (p.errors ?? '–') : `${p.total_errors} (read ${p.read_errors}, write ${p.write_errors}, checksum ${p.cksum_errors})${p.errors ? `; ${p.errors}` : ''}`, p.total_errors, lv(p.total_errors > 0)),
  }));
  const thin = mine(h.thin).map((t) => ({
    node: t.node, name: `${t.vg}/${t.lv}`, size: fmtBytes(t.size_bytes),
    data: cell(fmtPct(t.data_fraction), t.data_fraction ?? -1, t.data_fraction === null ? undefined : lv(t.data_fraction >= 0.9, t.data_fraction >= 0.8)),
    metadata: cell(fmtPct(t.metadata_fraction), t.metadata_fraction ?? -1, t.metadata_fraction === null ? undefined : lv(t.metadata_fraction >= THRESHOLDS.thinMetadata)),
  }));
  const haRow = h.ha.find((x) => x.cluster === cluster);
  const ha = haRow
    ? {
        summary: `${haRow.services} services, ${haRow.services_failed} in error or fence; manager on ${haRow.master_node ?? '?'}${haRow.quorate === 0 ? '; NOT quorate' : ''}${haRow.nodes_fenced ? `; ${haRow.nodes_fenced} node(s) fenced` : ''}`,
        level: lv(haRow.services_failed > 0 || haRow.nodes_fenced > 0 || haRow.quorate === 0),
        services: h.haServices.filter((s) => s.cluster === cluster && (node === undefined || s.node === node)).map((s) => ({ sid: s.sid, node: s.node ?? '', state: cell(s.state ?? '?', s.state ?? '', lv(s.failing === 1, s.state !== 'started' && s.state !== 'stopped')), since: fmtTime(s.changed_at) })),
        nodes: h.haNodes.filter((n) => n.cluster === cluster && (node === undefined || n.node === node)).map((n) => ({ node: n.node, state: cell(n.fenced ? 'fenced' : (n.lrm_state ?? '?'), n.lrm_state ?? '', lv(n.fenced === 1 || n.lrm_state === 'dead')), status: n.lrm_status ?? '' })),
      }
    : null;
  const cephRow = node === undefined ? h.ceph.find((c) => c.cluster === cluster) : undefined;
  let checks: Array<{ name: string; severity: string; message: string }> = [];
  try {
    checks = Object.entries(JSON.parse(cephRow?.checks ?? '{}') as Record<string, { severity: string | null; message: string | null }>).map(([name, c]) => ({ name, severity: c.severity ?? '', message: c.message ?? '' }));
  } catch {
    checks = [];
  }
  const ceph = cephRow
    ? {
        health: cell(cephRow.health, cephRow.health, lv(cephRow.health === 'HEALTH_ERR', cephRow.health !== 'HEALTH_OK')),
        checks,
        osds: `${cephRow.osds_up ?? '?'} up, ${cephRow.osds_in ?? '?'} in, of ${cephRow.osds ?? '?'}`,
        used: fmtPct(cephRow.used_fraction),
        pools: h.cephPools.filter((p) => p.cluster === cluster).map((p) => ({ pool: p.pool, size: `${p.size ?? '?'}/${p.min_size ?? '?'}`, used: fmtBytes(p.bytes_used), pct: fmtPct(p.percent_used) })),
      }
    : null;
  const replication = h.replication
    .filter((r) => r.cluster === cluster && (node === undefined || r.source === node || r.target === node))
    .map((r) => ({
      id: r.job_id, guest: String(r.guest ?? ''), source: r.source ?? '', target: r.target ?? '',
      lastSync: cell(r.last_sync === null ? 'never' : fmtTime(r.last_sync), r.last_sync ?? -1, lv(r.failing === 1)),
      duration: r.duration_s === null ? '–' : `${r.duration_s.toFixed(1)} s`,
      failCount: cell(String(r.fail_count ?? 0), r.fail_count ?? 0, lv((r.fail_count ?? 0) > 0)),
      error: r.error ?? '',
    }));
  const certificates = mine(h.certificates).map((c) => {
    const days = c.expires_in_s === null ? null : c.expires_in_s / 86_400;
    return { node: c.node, file: c.filename, source: c.source === 'handshake' ? 'TLS handshake' : 'API', subject: c.subject ?? '', expires: cell(c.notafter === null ? '–' : `${fmtTime(c.notafter)}${days !== null && days < 0 ? ' (EXPIRED)' : days !== null && days < THRESHOLDS.certDays ? ' (soon)' : ''}`, c.notafter ?? -1, days === null ? undefined : lv(days < THRESHOLDS.certDays)) };
  });
  const software = mine(h.software).map((s) => ({
    node: s.node, kernel: s.running_kernel ?? '?', newest: s.newest_kernel ?? '?', manager: `${s.manager_version ?? '?'}${s.version_skew > 1 ? ' (versions differ across the cluster)' : ''}`,
    reboot: cell(s.reboot_required ? `required${s.reboot_required_since !== null ? ` since ${fmtTime(s.reboot_required_since)}` : ''}` : s.reboot_required === 0 ? 'no' : '?', s.reboot_required_since ?? -1, s.reboot_required ? lv((s.reboot_pending_s ?? 0) >= THRESHOLDS.rebootDays * 86_400, true) : undefined),
  }));
  const unavailable = h.coverage
    .filter((c) => c.cluster === cluster && c.state !== 'ok' && !(c.signal.startsWith('ceph') && c.state === 'absent') && (node === undefined || c.node === null || c.node === node))
    .map((c) => ({ signal: SIGNAL_NEEDS.find((n) => n.signal === c.signal)?.label ?? c.signal, node: c.node ?? '', state: c.state, text: c.state === 'forbidden' ? `missing ${c.privilege ?? '?'} on ${c.acl_path ?? '?'}` : (c.message ?? c.state) }));
  return { showNode: node === undefined, disks, zfs, thin, ha, ceph, replication, certificates, software, unavailable, empty: !disks.length && !zfs.length && !thin.length && !ha && !ceph && !replication.length && !certificates.length && !software.length && !unavailable.length };
}

export interface CoverageVM {
  /** PBS datastores the token cannot read, with the grant line (#15, optional PBS). */
  pbs?: PbsViewVM['forbidden'];
  clusters: Array<{
    cluster: string;
    tokenId: string;
    rows: Array<{ signal: string; where: string; state: string; level: Level; privilege: string; grant: string; lastOk: string; message: string }>;
    missing: number;
  }>;
}

/** The agent page's coverage section: per cluster, each signal's state, the missing privilege and the pveum line granting it. */
export function buildCoverage(h: HealthSiteRows): CoverageVM {
  const clusters = [...new Set(h.coverage.map((c) => c.cluster))].sort();
  return {
    clusters: clusters.map((cluster) => {
      const tokenId = h.coverage.find((x) => x.cluster === cluster && x.token_id)?.token_id ?? 'USER@REALM!TOKEN';
      // one row per signal: per-node signals folded (the worst state wins, the nodes listed)
      const bySignal = new Map<string, typeof h.coverage>();
      for (const c of h.coverage.filter((x) => x.cluster === cluster)) bySignal.set(c.signal, [...(bySignal.get(c.signal) ?? []), c]);
      const rank: Record<string, number> = { forbidden: 3, error: 2, absent: 1, ok: 0 };
      const rows = SIGNAL_NEEDS.filter((n) => bySignal.has(n.signal)).map((need) => {
        const list = bySignal.get(need.signal)!;
        const worst = list.reduce((a, b) => ((rank[b.state] ?? 0) > (rank[a.state] ?? 0) ? b : a));
        const affected = list.filter((x) => x.state === worst.state && x.node).map((x) => x.node!);
        const paths = [...new Set(list.filter((x) => x.state === 'forbidden').map((x) => x.acl_path ?? need.aclPath))];
        const lastOk = Math.max(...list.map((x) => x.last_ok ?? 0));
        return {
          signal: need.label,
          where: worst.state === 'ok' ? (list.some((x) => x.node) ? `${list.length} node(s)` : 'cluster') : affected.length ? affected.join(', ') : 'cluster',
          state: worst.state === 'absent' ? 'not configured' : worst.state === 'forbidden' ? 'missing privilege' : worst.state,
          level: (worst.state === 'forbidden' || worst.state === 'error' ? 'bad' : 'ok') as Level,
          privilege: worst.state === 'forbidden' ? `${worst.privilege ?? need.privilege} on ${paths.join(', ')}` : need.privilege,
          grant: worst.state === 'forbidden' ? paths.map((p) => pveumGrant(tokenId, p)).join('\n') : '',
          lastOk: lastOk ? fmtTime(lastOk) : 'never',
          message: worst.state === 'ok' ? '' : (worst.message ?? ''),
        };
      });
      return { cluster, tokenId, rows, missing: rows.filter((r) => r.state === 'missing privilege').length };
    }),
    pbs: buildPbsView(h.pbs).forbidden,
  };
}

/** Everything that needs a person's attention, worst first (for the overview's list, issue #14). */
export function buildHealthAttention(h: HealthSiteRows): AttentionItem[] {
  const out: AttentionItem[] = [];
  for (const g of h.backupGuests) {
    if (g.status === 'overdue') out.push({ level: 'bad', cluster: g.cluster, node: g.node, signal: 'backup', text: `${g.vmid} ${g.name ?? ''}: last backup ${fmtDuration(g.age_s)} ago, RPO ${fmtDuration(g.rpo_s)}` });
    if (g.status === 'never') out.push({ level: 'bad', cluster: g.cluster, node: g.node, signal: 'backup', text: `${g.vmid} ${g.name ?? ''}: no successful backup known${g.last_fail_error ? ` (last error: ${g.last_fail_error})` : ''}` });
    if (g.status === 'no_job') out.push({ level: 'warn', cluster: g.cluster, node: g.node, signal: 'backup', text: `${g.vmid} ${g.name ?? ''}: in no backup job` });
  }
  for (const d of h.disks) if (d.failing) out.push({ level: 'bad', cluster: d.cluster, node: d.node, signal: 'disk', text: `${d.devpath} ${d.model ?? ''}: SMART ${d.health ?? '?'}${d.wearout !== null ? `, wearout ${d.wearout} %` : ''}` });
  for (const p of h.zfs) if (p.health !== 'ONLINE' || p.total_errors > 0) out.push({ level: 'bad', cluster: p.cluster, node: p.node, signal: 'zfs', text: `ZFS pool ${p.pool}: ${p.health ?? '?'}, ${p.total_errors} errors` });
  for (const t of h.thin) if ((t.metadata_fraction ?? 0) >= THRESHOLDS.thinMetadata) out.push({ level: 'bad', cluster: t.cluster, node: t.node, signal: 'lvm_thin', text: `thin pool ${t.vg}/${t.lv}: metadata ${fmtPct(t.metadata_fraction)} full` });
  for (const s of h.haServices) if (s.failing) out.push({ level: 'bad', cluster: s.cluster, node: s.node, signal: 'ha', text: `HA ${s.sid}: ${s.state}` });
  for (const n of h.haNodes) if (n.fenced) out.push({ level: 'bad', cluster: n.cluster, node: n.node, signal: 'ha', text: `node ${n.node} fenced` });
  for (const c of h.ceph) if (c.health !== 'HEALTH_OK') out.push({ level: c.health === 'HEALTH_ERR' ? 'bad' : 'warn', cluster: c.cluster, node: null, signal: 'ceph', text: `Ceph ${c.health}` });
  for (const r of h.replication) if (r.failing) out.push({ level: 'bad', cluster: r.cluster, node: r.source, signal: 'replication', text: `replication ${r.job_id} → ${r.target ?? '?'}: ${r.fail_count ?? 0} failures` });
  for (const c of h.certificates) if (c.expires_in_s !== null && c.expires_in_s < THRESHOLDS.certDays * 86_400) out.push({ level: c.expires_in_s < 7 * 86_400 ? 'bad' : 'warn', cluster: c.cluster, node: c.node, signal: 'certificate', text: `${c.filename} expires ${c.expires_in_s < 0 ? 'EXPIRED' : `in ${fmtDuration(c.expires_in_s)}`}` });
  for (const s of h.software) if (s.reboot_required && (s.reboot_pending_s ?? 0) >= THRESHOLDS.rebootDays * 86_400) out.push({ level: 'warn', cluster: s.cluster, node: s.node, signal: 'reboot', text: `reboot required for ${fmtDuration(s.reboot_pending_s)} (kernel ${s.newest_kernel ?? '?'})` });
  return out.sort((a, b) => (a.level === b.level ? 0 : a.level === 'bad' ? -1 : 1));
}

/** No health rows (a site built before the health tiers ran, or tests without them). */
export const EMPTY_HEALTH: HealthSiteRows = { backupGuests: [], backupJobs: [], excludedVolumes: [], disks: [], zfs: [], thin: [], ha: [], haServices: [], haNodes: [], ceph: [], cephPools: [], replication: [], certificates: [], software: [], coverage: [] };

/** The `health` part of status.json (documented in site-templates/DATA-FORMAT.md). */
export function buildHealthStatus(h: HealthSiteRows): Record<string, unknown> {
  const counts = { ok: 0, overdue: 0, never: 0, no_job: 0, unknown: 0 };
  for (const g of h.backupGuests) counts[g.status]++;
  return {
    pbs: buildPbsStatus(h.pbs),
    backups: {
      counts,
      fields: ['cluster', 'vmid', 'status', 'age_s', 'rpo_s', 'last_ok_end', 'last_ok_size_bytes', 'last_ok_storage', 'last_fail_end', 'last_fail_error'],
      guests: h.backupGuests.map((g) => [g.cluster, g.vmid, g.status, g.age_s, g.rpo_s, g.last_ok_end, g.last_ok_size_bytes, g.last_ok_storage, g.last_fail_end, g.last_fail_error]),
      jobs: h.backupJobs.map((j) => ({ cluster: j.cluster, id: j.job_id, enabled: j.enabled === 1, schedule: j.schedule, storage: j.storage, rpo_s: j.rpo_s, guests: j.guests })),
      excluded_volumes: h.excludedVolumes.map((e) => ({ cluster: e.cluster, job: e.job_id, vmid: e.vmid, volume: e.volume, reason: e.reason })),
    },
    disks: h.disks.map((d) => ({ cluster: d.cluster, node: d.node, devpath: d.devpath, type: d.type, model: d.model, serial: d.serial, health: d.health, wearout_pct_used: d.wearout, failing: d.failing === 1 })),
    zfs_pools: h.zfs.map((p) => ({ cluster: p.cluster, node: p.node, pool: p.pool, health: p.health, alloc_fraction: p.alloc_fraction, frag_pct: p.frag, scrub_age_s: p.scrub_age_s, errors: { read: p.read_errors, write: p.write_errors, cksum: p.cksum_errors } })),
    lvm_thin: h.thin.map((t) => ({ cluster: t.cluster, node: t.node, pool: `${t.vg}/${t.lv}`, data_fraction: t.data_fraction, metadata_fraction: t.metadata_fraction })),
    ha: h.ha.map((x) => ({
      cluster: x.cluster, quorate: x.quorate === null ? null : x.quorate === 1, master: x.master_node,
      services: h.haServices.filter((s) => s.cluster === x.cluster).map((s) => ({ sid: s.sid, node: s.node, state: s.state })),
      fenced_nodes: h.haNodes.filter((n) => n.cluster === x.cluster && n.fenced).map((n) => n.node),
    })),
    ceph: h.ceph.map((c) => ({ cluster: c.cluster, health: c.health, checks: safeJson(c.checks), osds: c.osds, osds_up: c.osds_up, osds_in: c.osds_in, used_fraction: c.used_fraction })),
    replication: h.replication.map((r) => ({ cluster: r.cluster, id: r.job_id, guest: r.guest, source: r.source, target: r.target, last_sync: r.last_sync, fail_count: r.fail_count, error: r.error })),
    certificates: h.certificates.map((c) => ({ cluster: c.cluster, node: c.node, file: c.filename, source: c.source, notafter: c.notafter, expires_in_s: c.expires_in_s })),
    node_software: h.software.map((s) => ({ cluster: s.cluster, node: s.node, running_kernel: s.running_kernel, newest_kernel: s.newest_kernel, manager_version: s.manager_version, reboot_required: s.reboot_required === null ? null : s.reboot_required === 1, version_skew: s.version_skew > 1 })),
    coverage: h.coverage.map((c) => ({ cluster: c.cluster, signal: c.signal, node: c.node, state: c.state, privilege: c.privilege, acl_path: c.acl_path, grant: c.grant_command, last_ok: c.last_ok })),
  };
}

function safeJson(s: string | null): unknown {
  try {
    return s ? JSON.parse(s) : null;
  } catch {
    return null;
  }
}
