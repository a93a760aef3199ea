// Pure transforms of the health endpoints' answers (already validated by health-schemas.ts)
// into the rows of health-rows.ts: our units, our names, the quirks of each PVE version ironed out.
import type { z } from 'zod';
import type { AptVersionItem, BackupJobItem, CephPoolItem, CephStatus, CertificateItem, DiskItem, HaStatusItem, IncludedVolumes, NodeTaskItem, NotBackedUpItem, ReplicationItem, ThinPoolItem, ZfsPoolDetail, ZfsPoolItem } from './health-schemas.ts';
import type { BackupJobRow, BackupTaskRow, CephPoolRow, CephRows, CertificateRow, DiskRow, ExcludedVolumeRow, HaRows, NotInJobRow, ReplicationRow, SoftwareRow, ThinPoolRow, ZfsDetailRow, ZfsPoolRow } from './health-rows.ts';
import { rpoFromSchedule } from './rpo-from-schedule.ts';
import type { PeerCertificate } from '../pve/pve-client.types.ts';

const str = (v: string | undefined | null): string | null => (v === undefined || v === null || v === '' ? null : v);
const num = (v: number | undefined | null): number | null => (v === undefined || v === null || !Number.isFinite(v) ? null : v);
const vmidList = (s: string | undefined): number[] =>
  (s ?? '')
    .split(/[,;\s]+/)
    .filter((x) => /^\d+$/.test(x))
    .map(Number);

/** /cluster/backup → jobs with their RPO (legacy starttime + dow read as a schedule). */
export function mapBackupJobs(items: BackupJobItem[]): BackupJobRow[] {
  return items
    .filter((j) => !j.type || j.type === 'vzdump')
    .map((j) => {
      const schedule = str(j.schedule) ?? (j.starttime ? `${j.dow ? `${j.dow} ` : ''}${j.starttime}` : null);
      return {
        jobId: j.id,
        enabled: j.enabled ?? true,
        schedule,
        storage: str(j.storage),
        mode: str(j.mode),
        all: j.all ?? false,
        vmids: vmidList(j.vmid),
        pool: str(j.pool),
        node: str(j.node),
        exclude: vmidList(j.exclude),
        comment: str(j.comment),
        nextRun: num(j['next-run']),
        rpoS: rpoFromSchedule(schedule) ?? null,
      };
    });
}

/** included_volumes → the volumes a job leaves out (backup=0 and the like). */
export function mapExcludedVolumes(jobId: string, data: z.infer<typeof IncludedVolumes>): ExcludedVolumeRow[] {
  const out: ExcludedVolumeRow[] = [];
  for (const g of data.children) {
    for (const v of g.children ?? []) {
      if (v.included === false) out.push({ jobId, vmid: g.id, volume: v.id, name: str(v.name), reason: str(v.reason) });
    }
  }
  return out;
}

export function mapNotBackedUp(items: Array<z.infer<typeof NotBackedUpItem>>): NotInJobRow[] {
  return items.map((i) => ({ vmid: i.vmid, name: str(i.name), type: str(i.type) }));
}

/** vzdump tasks of a node task list (single-guest tasks carry the vmid in the UPID id). */
export function mapBackupTasks(items: Array<z.infer<typeof NodeTaskItem>>): BackupTaskRow[] {
  return items
    .filter((t) => t.type === 'vzdump')
    .map((t) => ({ upid: t.upid, node: t.node, vmid: t.id && /^\d+$/.test(t.id) ? Number(t.id) : null, starttime: t.starttime, endtime: num(t.endtime), status: str(t.status) }));
}

/** The API's wearout is percent of life REMAINING ('N/A' for disks without one): we store percent USED. */
export function wearoutUsed(v: unknown): number | null {
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d+(\.\d+)?$/.test(v.trim()) ? Number(v) : NaN;
  if (!Number.isFinite(n)) return null;
  return Math.max(0, Math.min(100, Math.round(100 - n)));
}

export function mapDisks(items: DiskItem[]): DiskRow[] {
  return items.map((d) => ({
    devpath: d.devpath,
    type: str(d.type),
    model: str(d.model),
    serial: str(d.serial),
    vendor: str(d.vendor),
    wwn: str(d.wwn),
    sizeBytes: num(d.size),
    rpm: num(d.rpm),
    used: str(d.used),
    health: str(d.health),
    wearout: wearoutUsed(d.wearout),
  }));
}

export function mapZfsPools(items: ZfsPoolItem[]): ZfsPoolRow[] {
  return items.map((p) => ({ pool: p.name, health: str(p.health), sizeBytes: num(p.size), allocBytes: num(p.alloc), freeBytes: num(p.free), frag: num(p.frag), dedup: num(p.dedup) }));
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

/** End of the last finished scrub from zpool's scan line ("… with 0 errors on Sun Nov 10 00:25:24 2024"), read as UTC. */
export function scrubEnd(scan: string | null | undefined): number | null {
  if (!scan || !/^scrub repaired/.test(scan)) return null;
  const m = /on \w{3} (\w{3}) +(\d{1,2}) (\d\d):(\d\d):(\d\d) (\d{4})\s*$/.exec(scan);
  if (!m) return null;
  const mo = MONTHS.indexOf(m[1]!.toLowerCase());
  if (mo < 0) return null;
  return Date.UTC(Number(m[6]), mo, Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5])) / 1000;
}

type Vdev = NonNullable<ZfsPoolDetail['children']>[number];

/** zpool status detail → scan, errors and the error counters summed over the leaf devices. */
export function mapZfsDetail(d: ZfsPoolDetail): ZfsDetailRow {
  const sums = { read: 0, write: 0, cksum: 0 };
  const walk = (v: Vdev) => {
    if (!v.children?.length) {
      sums.read += v.read ?? 0;
      sums.write += v.write ?? 0;
      sums.cksum += v.cksum ?? 0;
    } else v.children.forEach(walk);
  };
  // the first child is the pool's own vdev tree; later ones are sections (logs, cache, spares)
  (d.children ?? []).forEach(walk);
  return { pool: d.name, health: str(d.state), scan: str(d.scan), lastScrubEnd: scrubEnd(d.scan), errors: str(d.errors), readErrors: sums.read, writeErrors: sums.write, cksumErrors: sums.cksum };
}

export function mapThinPools(items: ThinPoolItem[]): ThinPoolRow[] {
  return items.map((t) => ({ vg: t.vg, lv: t.lv, sizeBytes: num(t.lv_size), usedBytes: num(t.used), metadataSizeBytes: num(t.metadata_size), metadataUsedBytes: num(t.metadata_used) }));
}

/** "pve1 (active, Mon Dec  7 00:34:58 2026)" → "active"; "old timestamp - dead?" → "dead". */
export function lrmState(status: string | undefined): string | null {
  const m = /^\S+ \(([^,]+),/.exec(status ?? '');
  if (!m) return status?.includes('unable to read lrm status') ? 'unknown' : null;
  const s = m[1]!.trim();
  if (s.startsWith('old timestamp')) return 'dead';
  return s.replace(/ mode$/, '');
}

/** /cluster/ha/status/current → manager, LRMs (fenced when a service of theirs is in `fence`) and services. */
export function mapHaStatus(items: HaStatusItem[]): HaRows {
  const quorum = items.find((i) => i.type === 'quorum');
  const master = items.find((i) => i.type === 'master');
  const services = items
    .filter((i) => i.type === 'service')
    .map((s) => {
      const sid = s.sid ?? s.id.replace(/^service:/, '');
      const m = /^(?:vm|ct):(\d+)$/.exec(sid) ?? /^(\d+)$/.exec(sid);
      return { sid, vmid: m ? Number(m[1]) : null, node: str(s.node), state: str(s.state), crmState: str(s.crm_state), requestState: str(s.request_state), status: str(s.status) };
    });
  const fencedNodes = new Set(services.filter((s) => s.state === 'fence' || s.crmState === 'fence').map((s) => s.node));
  const nodes = items
    .filter((i) => i.type === 'lrm' && i.node)
    .map((l) => {
      const state = lrmState(l.status);
      const fenced = fencedNodes.has(l.node!);
      return { node: l.node!, lrmState: state, lrmStatus: str(l.status), nodeState: fenced ? 'fence' : state === 'dead' ? 'unknown' : 'online', fenced };
    });
  return { quorate: quorum?.quorate ?? null, masterNode: str(master?.node), masterStatus: str(master?.status), nodes, services };
}

/** `ceph -s` → health, checks, OSD counts (flat osdmap since Pacific, nested before), usage. */
export function mapCephStatus(c: CephStatus): CephRows {
  const osd = c.osdmap?.osdmap ?? c.osdmap;
  const checks: CephRows['checks'] = {};
  for (const [k, v] of Object.entries(c.health.checks ?? {})) checks[k] = { severity: str(v.severity), message: str(v.summary?.message) };
  return {
    health: c.health.status,
    checks,
    osds: num(osd?.num_osds),
    osdsUp: num(osd?.num_up_osds),
    osdsIn: num(osd?.num_in_osds),
    pgs: num(c.pgmap?.num_pgs),
    bytesUsed: num(c.pgmap?.bytes_used),
    bytesTotal: num(c.pgmap?.bytes_total),
  };
}

export function mapCephPools(items: Array<z.infer<typeof CephPoolItem>>): CephPoolRow[] {
  return items.map((p) => ({ pool: p.pool_name, poolId: num(p.pool), size: num(p.size), minSize: num(p.min_size), bytesUsed: num(p.bytes_used), percentUsed: num(p.percent_used), maxAvailBytes: num(p.max_avail) }));
}

export function mapReplication(items: ReplicationItem[]): ReplicationRow[] {
  return items.map((r) => ({
    jobId: r.id,
    guest: num(r.guest),
    source: str(r.source),
    target: str(r.target),
    schedule: str(r.schedule),
    lastSync: num(r.last_sync),
    lastTry: num(r.last_try),
    nextSync: num(r.next_sync),
    durationS: num(r.duration),
    failCount: num(r.fail_count) ?? 0,
    error: str(r.error),
  }));
}

export function mapCertificates(items: CertificateItem[]): CertificateRow[] {
  return items.map((c) => ({ filename: c.filename, source: 'api', subject: str(c.subject), issuer: str(c.issuer), notbefore: num(c.notbefore), notafter: num(c.notafter), fingerprint: str(c.fingerprint), san: c.san?.length ? c.san.join(',') : null }));
}

/**
 * The node whose pveproxy an endpoint is: the one whose address is the endpoint's host, else the
 * node that answered /cluster/status through it this cycle (`local`). Pure.
 */
export function endpointNode(endpoint: string, nodes: ReadonlyArray<{ node: string; ip: string | null; local?: boolean }>): string | undefined {
  let host: string;
  try {
    host = new URL(endpoint).hostname.replace(/^\[|\]$/g, '');
  } catch {
    return undefined;
  }
  return (nodes.find((n) => n.ip === host || n.node === host || host.startsWith(`${n.node}.`)) ?? nodes.find((n) => n.local))?.node;
}

/** A handshake's certificate as a node_certificates row (filename names the endpoint it came from). Pure. */
export function mapPeerCertificate(endpoint: string, p: PeerCertificate): CertificateRow {
  return { filename: `handshake ${new URL(endpoint).host}`, source: 'handshake', subject: p.subject, issuer: p.issuer, notbefore: p.notbefore, notafter: p.notafter, fingerprint: p.fingerprint, san: p.san };
}

const KERNEL_PKG = /^(?:pve|proxmox)-kernel-(\d+\.\d+\.\d+-\d+-pve)(?:-signed)?$/;

/** Compares kernel releases "6.8.12-9-pve" numerically, part by part. */
export function compareKernels(a: string, b: string): number {
  const pa = a.match(/\d+/g)?.map(Number) ?? [];
  const pb = b.match(/\d+/g)?.map(Number) ?? [];
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d) return d;
  }
  return 0;
}

/** apt/versions → running vs newest installed kernel (reboot required) and the pve-manager version. */
export function mapAptVersions(items: AptVersionItem[]): SoftwareRow {
  const ve = items.find((p) => p.Package === 'proxmox-ve');
  const mgr = items.find((p) => p.Package === 'pve-manager');
  const kernels = items
    .filter((p) => (p.CurrentState ?? 'Installed') === 'Installed')
    .map((p) => KERNEL_PKG.exec(p.Package)?.[1])
    .filter((k): k is string => Boolean(k))
    .sort((a, b) => compareKernels(b, a));
  const running = str(ve?.RunningKernel);
  const newest = kernels[0] ?? null;
  return {
    runningKernel: running,
    newestKernel: newest,
    managerVersion: str(mgr?.ManagerVersion?.split('/')[0]) ?? str(mgr?.OldVersion) ?? str(mgr?.Version),
    pveVersion: str(ve?.OldVersion) ?? str(ve?.Version),
    rebootRequired: running && newest ? compareKernels(newest, running) > 0 : null,
  };
}
