// Membership + /cluster/resources node entry + GET /nodes/{node}/status → NodeState
// (pve-api.md §3.2, §3.3, §4.2). Pure.
import type { NodeState } from './cluster-snapshot.ts';
import type { Member } from './map-cluster-status.ts';
import type { NodeResource } from './map-resources.ts';
import type { NodeStatus } from '../pve/pve-schemas.ts';

/** "pve-manager/8.2.4/faa83925c9641325" → "8.2.4". */
export function managerVersion(pveversion: string | undefined): string | null {
  if (!pveversion) return null;
  const m = /^pve-manager\/([^/]+)/.exec(pveversion);
  return m ? m[1]! : pveversion;
}

/**
 * Combines what we know about one node. The status comes from /cluster/resources (online,
 * offline, unknown), else from membership. CPU prefers the resources value: pvestatd's 10 s
 * figure is steadier than /nodes/{node}/status, whose first call in a fresh worker returns 0 (§4.2, §5.5).
 */
export function mapNodeState(node: string, member: Member | undefined, res: NodeResource | undefined, st: NodeStatus | undefined): NodeState {
  const status: NodeState['status'] = res?.status ?? (member ? (member.online ? 'online' : 'offline') : 'unknown');
  const live = status === 'online';
  const load = st?.loadavg ?? [];
  return {
    node,
    status,
    nodeid: member?.nodeid ?? null,
    ip: member?.ip ?? null,
    ...(member?.local ? { local: true } : {}),
    level: member?.level ?? res?.level ?? null,
    maxcpu: res?.maxcpu ?? st?.cpuinfo?.cpus ?? null,
    uptime: live ? (st?.uptime ?? res?.uptime ?? null) : null,
    cpu: live ? (res?.cpu ?? st?.cpu ?? null) : null,
    iowait: live ? (st?.wait ?? null) : null,
    load1: load[0] ?? null,
    load5: load[1] ?? null,
    load15: load[2] ?? null,
    memTotal: st?.memory?.total ?? res?.maxmem ?? null,
    memUsed: live ? (st?.memory?.used ?? res?.mem ?? null) : null,
    // absent before PVE 8.4 (§4.2, Appendix B) → null, never guessed from `free`
    memAvailable: st?.memory?.available ?? null,
    swapTotal: st?.swap?.total ?? null,
    swapUsed: st?.swap?.used ?? null,
    rootfsTotal: st?.rootfs?.total ?? res?.maxdisk ?? null,
    rootfsUsed: live ? (st?.rootfs?.used ?? res?.disk ?? null) : null,
    // neither /cluster/resources nor /nodes/{node}/status carries node network counters
    netinBps: null,
    netoutBps: null,
    cpuModel: st?.cpuinfo?.model ?? null,
    kernel: st?.kversion ?? null,
    pveVersion: managerVersion(st?.pveversion),
    hastate: res?.hastate ?? null,
  };
}
