// What each health signal needs from the token (read from the `permissions` blocks of the Proxmox
// API modules, ../shared/pve-health-api.md) and the pveum line that grants it. PVEAuditor holds
// every one of them; nothing here needs a write privilege.
import type { HealthSignal } from './health-rows.ts';

export interface SignalNeed {
  signal: HealthSignal;
  /** What a person reads on the coverage section. */
  label: string;
  privilege: string;
  /** ACL path; {node} is replaced per node. */
  aclPath: string;
  /** Endpoint read. */
  endpoint: string;
}

export const SIGNAL_NEEDS: readonly SignalNeed[] = [
  { signal: 'backup_jobs', label: 'backup jobs and schedules', privilege: 'Sys.Audit', aclPath: '/', endpoint: 'GET /cluster/backup' },
  { signal: 'backup_not_in_job', label: 'guests in no backup job', privilege: 'Sys.Audit', aclPath: '/', endpoint: 'GET /cluster/backup-info/not-backed-up' },
  { signal: 'backup_tasks', label: 'backup results (vzdump tasks)', privilege: 'Sys.Audit', aclPath: '/nodes/{node}', endpoint: 'GET /nodes/{node}/tasks?typefilter=vzdump' },
  { signal: 'backup_logs', label: 'backup details (vzdump task logs)', privilege: 'Sys.Audit', aclPath: '/nodes/{node}', endpoint: 'GET /nodes/{node}/tasks/{upid}/log' },
  // Proxmox checks Sys.Audit on / OR on /nodes/{node} here; / is what a monitoring token has
  { signal: 'disks', label: 'disks: SMART health and wearout', privilege: 'Sys.Audit', aclPath: '/', endpoint: 'GET /nodes/{node}/disks/list' },
  { signal: 'zfs', label: 'ZFS pools', privilege: 'Sys.Audit', aclPath: '/', endpoint: 'GET /nodes/{node}/disks/zfs' },
  { signal: 'zfs_detail', label: 'ZFS scrub and errors', privilege: 'Sys.Audit', aclPath: '/', endpoint: 'GET /nodes/{node}/disks/zfs/{pool}' },
  { signal: 'lvm_thin', label: 'LVM-thin pools (data and metadata)', privilege: 'Sys.Audit', aclPath: '/', endpoint: 'GET /nodes/{node}/disks/lvmthin' },
  { signal: 'ha', label: 'HA manager and services', privilege: 'Sys.Audit', aclPath: '/', endpoint: 'GET /cluster/ha/status/current' },
  { signal: 'ceph', label: 'Ceph health', privilege: 'Sys.Audit', aclPath: '/', endpoint: 'GET /cluster/ceph/status' },
  { signal: 'ceph_pools', label: 'Ceph pools', privilege: 'Sys.Audit', aclPath: '/', endpoint: 'GET /nodes/{node}/ceph/pool' },
  { signal: 'replication', label: 'replication jobs', privilege: 'VM.Audit', aclPath: '/vms', endpoint: 'GET /nodes/{node}/replication' },
  { signal: 'certificates', label: 'node certificates', privilege: '(none: any authenticated token)', aclPath: '/', endpoint: 'GET /nodes/{node}/certificates/info' },
  { signal: 'apt_versions', label: 'kernel and package versions (reboot required)', privilege: 'Sys.Audit', aclPath: '/nodes/{node}', endpoint: 'GET /nodes/{node}/apt/versions' },
];

export function needOf(signal: HealthSignal): SignalNeed {
  return SIGNAL_NEEDS.find((n) => n.signal === signal)!;
}

/** Proxmox's 403 status line "Permission check failed (/nodes/pve1, Sys.Audit)" → path and privilege. */
export function parseForbidden(message: string): { aclPath: string; privilege: string } | undefined {
  const m = /Permission check failed \(([^,]+), ([^)]+)\)/.exec(message);
  return m ? { aclPath: m[1]!.trim(), privilege: m[2]!.trim() } : undefined;
}

/**
 * The pveum line that grants a privilege on a path to the token: PVEAuditor carries every
 * read-only privilege the agent uses. A privilege-separated token also needs the same ACL for its
 * user (`--users`), as README.md "API tokens" shows.
 */
export function pveumGrant(tokenId: string, aclPath: string): string {
  return `pveum acl modify ${aclPath} --tokens '${tokenId}' --roles PVEAuditor`;
}

/** What check-config reports for the health signals: one warning per missing (privilege, path) with the pveum line. */
export function healthPermissionFindings(
  has: (privilege: string, path: string) => boolean,
  tokenId: string,
  nodes: readonly string[],
): Array<{ level: 'ok' | 'warn'; message: string }> {
  const missing = new Map<string, { privilege: string; path: string; labels: string[] }>();
  for (const need of SIGNAL_NEEDS) {
    if (need.privilege.startsWith('(')) continue;
    const paths = need.aclPath.includes('{node}') ? (nodes.length ? nodes.map((n) => need.aclPath.replace('{node}', n)) : ['/nodes']) : [need.aclPath];
    const lacking = paths.filter((p) => !has(need.privilege, p));
    if (!lacking.length) continue;
    const path = lacking.length === paths.length && paths.length > 1 ? '/' : lacking.join(' ');
    for (const p of path.split(' ')) {
      const key = `${need.privilege} ${p}`;
      const m = missing.get(key) ?? { privilege: need.privilege, path: p, labels: [] };
      m.labels.push(need.label);
      missing.set(key, m);
    }
  }
  if (!missing.size) return [{ level: 'ok', message: 'health: backups, disks, pools, HA, Ceph, replication, certificates and packages are all readable' }];
  return [...missing.values()].map((m) => ({
    level: 'warn' as const,
    message: `health: missing ${m.privilege} on ${m.path}: not read: ${m.labels.join(', ')}; grant it with: ${pveumGrant(tokenId, m.path)}`,
  }));
}
