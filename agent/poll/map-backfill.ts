// Gap-filling history → BackfillSamples rows (pve-api.md §3.4 pull metrics, §8 rrddata). Pure.
import type { BackfillSamples } from './cluster-snapshot.ts';
import type { MetricItem, RrdRow } from '../pve/pve-schemas.ts';

type GuestRow = BackfillSamples['guests'][number];
type NodeRow = BackfillSamples['nodes'][number];

const v = (r: Record<string, number>, k: string): number | null => (r[k] === undefined ? null : r[k]!);

/** Node rrddata rows (§8: rates already in bytes/s) within (fromTs, toTs), exclusive. */
export function nodeRowsFromRrd(node: string, rows: RrdRow[], fromTs: number, toTs: number): NodeRow[] {
  return rows
    .filter((r) => r.time > fromTs && r.time < toTs && r.cpu !== undefined)
    .map((r) => ({
      node,
      ts: r.time,
      cpu: v(r, 'cpu'),
      iowait: v(r, 'iowait'),
      load1: v(r, 'loadavg'),
      memTotal: v(r, 'memtotal'),
      memUsed: v(r, 'memused'),
      memAvailable: v(r, 'memavailable'),
      swapTotal: v(r, 'swaptotal'),
      swapUsed: v(r, 'swapused'),
      rootfsTotal: v(r, 'roottotal'),
      rootfsUsed: v(r, 'rootused'),
      netinBps: v(r, 'netin'),
      netoutBps: v(r, 'netout'),
      arcsize: v(r, 'arcsize'),
      pressureCpuSome: v(r, 'pressurecpusome'),
      pressureIoSome: v(r, 'pressureiosome'),
      pressureIoFull: v(r, 'pressureiofull'),
      pressureMemorySome: v(r, 'pressurememorysome'),
      pressureMemoryFull: v(r, 'pressurememoryfull'),
    }));
}

/** Guest rrddata rows within (fromTs, toTs); rows of a stopped guest (no cpu sample) are skipped; QEMU disk is never measured → null. */
export function guestRowsFromRrd(vmid: number, type: 'qemu' | 'lxc', rows: RrdRow[], fromTs: number, toTs: number): GuestRow[] {
  return rows
    .filter((r) => r.time > fromTs && r.time < toTs && r.cpu !== undefined)
    .map((r) => ({
      vmid,
      ts: r.time,
      cpu: v(r, 'cpu'),
      mem: v(r, 'mem'),
      disk: type === 'lxc' ? v(r, 'disk') : null,
      netinBps: v(r, 'netin'),
      netoutBps: v(r, 'netout'),
      diskreadBps: v(r, 'diskread'),
      diskwriteBps: v(r, 'diskwrite'),
      // PVE 9 (pve-vm-9.0): memhost is QEMU only; both guest types carry PSI, cpu "full" included
      memhost: type === 'qemu' ? v(r, 'memhost') : null,
      pressureCpuSome: v(r, 'pressurecpusome'),
      pressureCpuFull: v(r, 'pressurecpufull'),
      pressureIoSome: v(r, 'pressureiosome'),
      pressureIoFull: v(r, 'pressureiofull'),
      pressureMemorySome: v(r, 'pressurememorysome'),
      pressureMemoryFull: v(r, 'pressurememoryfull'),
    }));
}

/**
 * /cluster/metrics/export?history=1 items → node and guest rows within (fromTs, toTs). Gauges are
 * taken as they are; `derive` counters (net_in, …) become bytes/s between consecutive generations
 * of the same id, and a counter that went down (restart) gives no rate.
 */
export function rowsFromMetrics(items: MetricItem[], fromTs: number, toTs: number): { nodes: NodeRow[]; guests: GuestRow[] } {
  const byId = new Map<string, Map<number, Record<string, number>>>();
  for (const m of items) {
    let gens = byId.get(m.id);
    if (!gens) byId.set(m.id, (gens = new Map()));
    let rec = gens.get(m.timestamp);
    if (!rec) gens.set(m.timestamp, (rec = {}));
    rec[m.metric] = m.value;
  }
  const nodes: NodeRow[] = [];
  const guests: GuestRow[] = [];
  for (const [id, gens] of byId) {
    const [kind, ...rest] = id.split('/');
    if (kind !== 'node' && kind !== 'qemu' && kind !== 'lxc') continue;
    const times = [...gens.keys()].sort((a, b) => a - b);
    let prev: { ts: number; r: Record<string, number> } | undefined;
    for (const ts of times) {
      const r = gens.get(ts)!;
      const rate = (k: string): number | null => {
        if (!prev || r[k] === undefined || prev.r[k] === undefined || ts <= prev.ts || r[k]! < prev.r[k]!) return null;
        return (r[k]! - prev.r[k]!) / (ts - prev.ts);
      };
      if (ts > fromTs && ts < toTs) {
        if (kind === 'node') {
          nodes.push({
            node: rest.join('/'),
            ts,
            cpu: v(r, 'cpu_current'),
            iowait: v(r, 'cpu_iowait'),
            load1: v(r, 'cpu_avg1'),
            memTotal: v(r, 'mem_total'),
            memUsed: v(r, 'mem_used'),
            memAvailable: null,
            swapTotal: v(r, 'swap_total'),
            swapUsed: v(r, 'swap_used'),
            rootfsTotal: v(r, 'disk_total'),
            rootfsUsed: v(r, 'disk_used'),
            netinBps: rate('net_in'),
            netoutBps: rate('net_out'),
          });
        } else if ((r.uptime ?? 0) > 0) {
          guests.push({
            vmid: Number(rest[0]),
            ts,
            cpu: v(r, 'cpu_current'),
            mem: v(r, 'mem_used'),
            disk: kind === 'lxc' ? v(r, 'disk_used') : null,
            netinBps: rate('net_in'),
            netoutBps: rate('net_out'),
            diskreadBps: rate('disk_read'),
            diskwriteBps: rate('disk_write'),
          });
        }
      }
      prev = { ts, r };
    }
  }
  return { nodes, guests };
}
