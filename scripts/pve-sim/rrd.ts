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
  nodeLoadavg,
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

function agg(values: number[], max: boolean): number {
  return max ? Math.max(...values) : values.reduce((a, b) => a + b, 0) / values.length;
}

/** Rows of /nodes/{node}/rrddata. Times after the node went offline carry only `time`. */
export function nodeRrd(n: SimNode, profile: PveProfile, tf: Timeframe, max: boolean, nowSec: number): Record<string, number>[] {
  const { step, times } = buckets(profile, tf, nowSec);
  return times.map((t) => {
    if ((n.offlineSince !== null && t >= n.offlineSince) || t < n.bootAt) return { time: t };
    const pts = samples(t, step);
    const f = (fn: (ts: number) => number) => agg(pts.map(fn), max);
    const row: Record<string, number> = {
      time: t,
      loadavg: f((ts) => nodeLoadavg(n, ts)[0]),
      maxcpu: n.maxcpu,
      cpu: f((ts) => nodeCpu(n, ts)),
      iowait: f((ts) => nodeIowait(n, ts)),
      memtotal: n.maxmem,
      memused: f((ts) => {
        const m = nodeMemory(n, ts);
        return profile.memAvailable ? m.total - m.available : m.total - m.memFree - m.buffersCached;
      }),
      swaptotal: n.swapTotal,
      swapused: f((ts) => nodeSwapUsed(n, ts)),
      roottotal: n.rootTotal,
      rootused: f((ts) => nodeRootUsed(n, ts)),
      netin: f((ts) => nodeNetRates(n, ts)[0]),
      netout: f((ts) => nodeNetRates(n, ts)[1]),
    };
    if (profile.pve9Fields) {
      row.memavailable = f((ts) => nodeMemory(n, ts).available);
      row.arcsize = f((ts) => nodeArcSize(n, ts));
      for (const k of Object.keys(nodePressure(n, t))) row[k] = f((ts) => nodePressure(n, ts)[k]!);
    }
    return row;
  });
}

/** Rows of …/{qemu|lxc}/{vmid}/rrddata; stopped periods carry only time/maxcpu/maxmem/maxdisk/disk. */
export function guestRrd(g: SimGuest, profile: PveProfile, tf: Timeframe, max: boolean, nowSec: number): Record<string, number>[] {
  const { step, times } = buckets(profile, tf, nowSec);
  return times.map((t) => {
    const pts = samples(t, step).filter((ts) => wasRunning(g, ts));
    const base = { time: t, maxcpu: g.cpus, maxmem: g.maxmem, maxdisk: g.maxdisk };
    if (pts.length === 0) return { ...base, disk: 0 };
    const f = (fn: (ts: number) => number) => agg(pts.map(fn), max);
    const rate = (i: number) => (max ? f((ts) => guestRates(g, ts)[i]!) : guestBytesBetween(g, t, t + step)[i]! / step);
    const row: Record<string, number> = {
      ...base,
      cpu: f((ts) => guestCpu(g, ts)),
      mem: f((ts) => guestMem(g, ts)),
      disk: g.type === 'lxc' ? f((ts) => guestDiskUsed(g, ts)) : 0,
      netin: rate(0),
      netout: rate(1),
      diskread: rate(2),
      diskwrite: rate(3),
    };
    if (profile.pve9Fields) {
      if (g.type === 'qemu') row.memhost = f((ts) => guestMemHost(g, ts));
      for (const k of Object.keys(guestPressure(g.key, t, 0))) row[k] = f((ts) => guestPressure(g.key, ts, guestCpu(g, ts))[k]!);
    }
    return row;
  });
}
