// GET /cluster/metrics/export (pve-manager >= 8.2.5, §3.4): the pull-metrics cache of the last
// 180 pvestatd generations (10 s each = 30 min). Older profiles answer 501 like the real API.
import { boolParam, intParam, SimHttpError } from '../http-error.ts';
import { guestCounters, guestCpu, guestDiskUsed, guestMem, nodeCpu, nodeIowait, nodeLoadavg, nodeMemory, nodeNetCounters, nodeRootUsed, nodeSwapUsed, storageUsed } from '../metrics-model.ts';
import type { Route, RouteContext } from '../router.ts';
import type { SimGuest, SimNode } from '../types.ts';
import { requirePriv } from '../permissions.ts';
import { generation } from '../views/liveness.ts';

interface Metric {
  id: string;
  metric: string;
  timestamp: number;
  type: 'gauge' | 'counter' | 'derive';
  value: number;
}

function pushNode(out: Metric[], n: SimNode, ts: number, memAvailable: boolean): void {
  const id = `node/${n.name}`;
  const g = (metric: string, value: number) => out.push({ id, metric, timestamp: ts, type: 'gauge', value });
  const m = nodeMemory(n, ts);
  const [l1, l5, l15] = nodeLoadavg(n, ts);
  const swap = nodeSwapUsed(n, ts);
  const [netIn, netOut] = nodeNetCounters(n, ts);
  g('uptime', ts - n.bootAt);
  g('cpu_current', nodeCpu(n, ts));
  g('cpu_max', n.maxcpu);
  g('cpu_avg1', l1);
  g('cpu_avg5', l5);
  g('cpu_avg15', l15);
  g('cpu_iowait', nodeIowait(n, ts));
  g('mem_total', m.total);
  g('mem_used', memAvailable ? m.total - m.available : m.total - m.memFree - m.buffersCached);
  g('swap_total', n.swapTotal);
  g('swap_used', swap);
  g('swap_free', n.swapTotal - swap);
  g('disk_total', n.rootTotal);
  g('disk_used', nodeRootUsed(n, ts));
  out.push({ id, metric: 'net_in', timestamp: ts, type: 'derive', value: netIn });
  out.push({ id, metric: 'net_out', timestamp: ts, type: 'derive', value: netOut });
}

function pushGuest(out: Metric[], guest: SimGuest, ts: number): void {
  const id = `${guest.type}/${guest.vmid}`;
  const running = guest.status === 'running' && (guest.startedAt ?? Infinity) <= ts;
  const g = (metric: string, value: number) => out.push({ id, metric, timestamp: ts, type: 'gauge', value });
  g('uptime', running ? ts - guest.startedAt! : 0);
  g('cpu_current', running && guest.qmpstatus === 'running' ? guestCpu(guest, ts) : 0);
  g('cpu_max', guest.cpus);
  g('mem_total', guest.maxmem);
  g('mem_used', running ? Math.round(guestMem(guest, ts)) : 0);
  g('disk_total', guest.maxdisk);
  g('disk_used', running && guest.type === 'lxc' ? Math.round(guestDiskUsed(guest, ts)) : 0);
  if (!running) return;
  const [netin, netout, dr, dw] = guestCounters(guest, ts);
  const d = (metric: string, value: number) => out.push({ id, metric, timestamp: ts, type: 'derive', value });
  d('net_in', netin);
  d('net_out', netout);
  d('disk_read', dr);
  d('disk_write', dw);
}

function exportMetrics(ctx: RouteContext): Metric[] {
  if (!ctx.world.profile.metricsExport) throw new SimHttpError(501, "Method 'GET /cluster/metrics/export' not implemented");
  requirePriv(ctx.world.privileges, '/', 'Sys.Audit');
  const history = boolParam(ctx.args, 'history');
  const localOnly = boolParam(ctx.args, 'local-only');
  const startTime = intParam(ctx.args, 'start-time', 0);
  const nodeList = ctx.args['node-list']?.split(',').filter(Boolean);
  const latest = generation(ctx.nowSec);
  const gens = history ? Array.from({ length: 180 }, (_, i) => latest - (179 - i) * 10).filter((t) => t >= startTime) : latest >= startTime ? [latest] : [];
  const nodes = ctx.cluster.nodes.filter((n) => (!localOnly || n.name === ctx.local) && (!nodeList || nodeList.includes(n.name)));
  const out: Metric[] = [];
  for (const ts of gens) {
    for (const n of nodes) {
      if (n.offlineSince !== null && ts >= n.offlineSince) continue;
      pushNode(out, n, ts, ctx.world.profile.memAvailable);
      for (const g of ctx.cluster.guests.values()) if (g.node === n.name) pushGuest(out, g, ts);
      for (const s of n.storages) {
        if (!s.active) continue;
        const id = `storage/${n.name}/${s.storage}`;
        out.push({ id, metric: 'disk_total', timestamp: ts, type: 'gauge', value: s.total });
        out.push({ id, metric: 'disk_used', timestamp: ts, type: 'gauge', value: storageUsed(s, ts) });
      }
    }
  }
  return out;
}

/** Route of the pull-metrics export. */
export const metricsRoutes: Route[] = [{ method: 'GET', template: '/cluster/metrics/export', proxied: false, handle: exportMetrics }];
