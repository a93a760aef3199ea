// rrddata synthesis (pve-api.md §8): buckets per timeframe in the PVE 9 or pve2 layout, values
// from the same metric model as the live views (averages integrate the model; MAX samples it).
import { wasRunning } from './guest-state.ts';
import {
  guestBytesBetween,
  guestCpu,
  guestDiskUsed,
  guestMem,
  guestMemHost,
  guestPressure,
  guestRates,
  nodeArcSize,
  nodeCpu,
  nodeIowait,
  nodeLoad1,
  nodeMemory,
  nodeNetRates,
  nodePressure,
  nodeRootUsed,
  nodeSwapUsed,
} from './metrics-model.ts';
import type { PveProfile } from './profiles.ts';
import type { SimGuest, SimNode } from './types.ts';

export type Timeframe = 'hour' | 'day' | 'week' | 'month' | 'year' | 'decade';

const LAYOUT_9: Record<Timeframe, [number, number]> = {
  hour: [60, 60],
  day: [60, 1440],
  week: [1800, 336],
  month: [1800, 1440],
  year: [21600, 1440],
  decade: [604800, 570],
};
const LAYOUT_2: Record<Timeframe, [number, number]> = {
  hour: [60, 70],
  day: [1800, 70],
  week: [10800, 70],
  month: [43200, 70],
  year: [604800, 70],
  decade: [604800, 70],
};

/** Bucket start times (oldest first) for a timeframe; the in-progress bucket is left out. */
export function buckets(profile: PveProfile, tf: Timeframe, nowSec: number): { step: number; times: number[] } {
  const [step, rows] = (profile.pve9Fields ? LAYOUT_9 : LAYOUT_2)[tf];
  const last = Math.floor(nowSec / step) * step - step;
  return { step, times: Array.from({ length: rows }, (_, i) => last - (rows - 1 - i) * step) };
}

/** Sample points inside a bucket (at most 6, at least 1). */
function samples(t: number, step: number): number[] {
  const k = Math.max(1, Math.min(6, Math.round(step / 60)));
  return Array.from({ length: k }, (_, i) => t + ((i + 0.5) * step) / k);
}

/** Aggregates per-sample records key by key (average or max). */
function aggregate(points: Array<Record<string, number>>, max: boolean): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of Object.keys(points[0]!)) {
    let acc = max ? -Infinity : 0;
    for (const p of points) acc = max ? Math.max(acc, p[k]!) : acc + p[k]!;
    out[k] = max ? acc : acc / points.length;
  }
  return out;
}

function nodeSample(n: SimNode, profile: PveProfile, ts: number): Record<string, number> {
  const m = nodeMemory(n, ts);
  const [netin, netout] = nodeNetRates(n, ts);
  const v: Record<string, number> = {
    loadavg: nodeLoad1(n, ts),
    cpu: nodeCpu(n, ts),
    iowait: nodeIowait(n, ts),
    memused: profile.memAvailable ? m.total - m.available : m.total - m.memFree - m.buffersCached,
    swapused: nodeSwapUsed(n, ts),
    rootused: nodeRootUsed(n, ts),
    netin,
    netout,
  };
  if (profile.pve9Fields) {
    v.memavailable = m.available;
    v.arcsize = nodeArcSize(n, ts);
    Object.assign(v, nodePressure(n, ts));
  }
  return v;
}

/** Rows of /nodes/{node}/rrddata. Times after the node went offline carry only `time`. */
export function nodeRrd(n: SimNode, profile: PveProfile, tf: Timeframe, max: boolean, nowSec: number): Record<string, number>[] {
  const { step, times } = buckets(profile, tf, nowSec);
  return times.map((t) => {
    if ((n.offlineSince !== null && t >= n.offlineSince) || t < n.bootAt) return { time: t };
    const v = aggregate(samples(t, step).map((ts) => nodeSample(n, profile, ts)), max);
    const row: Record<string, number> = { time: t, maxcpu: n.maxcpu, memtotal: n.maxmem, swaptotal: n.swapTotal, roottotal: n.rootTotal };
    return Object.assign(row, v);
  });
}

function guestSample(g: SimGuest, profile: PveProfile, ts: number, max: boolean): Record<string, number> {
  const cpu = guestCpu(g, ts);
  const v: Record<string, number> = { cpu, mem: guestMem(g, ts), disk: g.type === 'lxc' ? guestDiskUsed(g, ts) : 0 };
  if (max) {
    const [netin, netout, diskread, diskwrite] = guestRates(g, ts);
    Object.assign(v, { netin, netout, diskread, diskwrite });
  }
  if (profile.pve9Fields) {
    if (g.type === 'qemu') v.memhost = guestMemHost(g, ts);
    Object.assign(v, guestPressure(g.key, ts, cpu));
  }
  return v;
}

/** Rows of …/{qemu|lxc}/{vmid}/rrddata; stopped periods carry only time/maxcpu/maxmem/maxdisk/disk. */
export function guestRrd(g: SimGuest, profile: PveProfile, tf: Timeframe, max: boolean, nowSec: number): Record<string, number>[] {
  const { step, times } = buckets(profile, tf, nowSec);
  return times.map((t) => {
    const pts = samples(t, step).filter((ts) => wasRunning(g, ts));
    if (pts.length === 0) return { time: t, maxcpu: g.cpus, maxmem: g.maxmem, maxdisk: g.maxdisk, disk: 0 };
    const row: Record<string, number> = { time: t, maxcpu: g.cpus, maxmem: g.maxmem, maxdisk: g.maxdisk };
    Object.assign(row, aggregate(pts.map((ts) => guestSample(g, profile, ts, max)), max));
    if (!max) {
      // Averages of DERIVE sources are exact: bytes transferred in the bucket / its length.
      const [netin, netout, diskread, diskwrite] = guestBytesBetween(g, t, t + step);
      Object.assign(row, { netin: netin / step, netout: netout / step, diskread: diskread / step, diskwrite: diskwrite / step });
    }
    return row;
  });
}
