// The metric model: every gauge and counter as a pure function of an entity's key and the time
// (epoch seconds). Gauges combine a daily wave with smooth noise; counters integrate a strictly
// positive rate in closed form, so they are monotonic, cheap at any t, and the rrddata history
// for any past time comes from the same model as the live values.
import { smoothNoise, unit } from './rng.ts';
import type { SimGuest, SimNode, SimStorage } from './types.ts';

const DAY = 86_400;
const HOUR = 3_600;
const WD = (2 * Math.PI) / DAY;
const WH = (2 * Math.PI) / HOUR;

/** 0..1, low at night, high in the afternoon (UTC), per-entity phase shift. */
export function daily(key: number, tSec: number): number {
  const phase = (unit(key, 77) - 0.5) * 1.5;
  return 0.5 + 0.5 * Math.sin(dayPhase(tSec) - Math.PI / 2 - 2.1 + phase);
}

// Reduce the time modulo the period before the trig call: same value (the period is exactly 2π
// in phase), but keeps arguments small so V8 stays on its fast path and precision is better.
const dayPhase = (t: number) => WD * (t % DAY);
const hourPhase = (t: number) => WH * (t % HOUR);

const clamp = (v: number, lo: number, hi: number) => (v < lo ? lo : v > hi ? hi : v);

/** Guest CPU as a fraction of its vCPUs. */
export function guestCpu(g: SimGuest, tSec: number): number {
  const wave = 0.55 + 0.45 * daily(g.key, tSec);
  const noise = 0.35 + 1.3 * smoothNoise(g.key ^ 0x11, tSec, 90);
  return clamp(g.load * wave * noise, 0.0005, 1);
}

/** Guest memory in use (bytes; for QEMU the balloon-reported value). */
export function guestMem(g: SimGuest, tSec: number): number {
  const f = clamp(g.memLevel + 0.08 * (smoothNoise(g.key ^ 0x22, tSec, 600) - 0.5) + 0.05 * daily(g.key, tSec), 0.03, 0.97);
  return g.maxmem * f;
}

/** QEMU host-side memory (PVE 9 memhost): a little above the guest view. */
export function guestMemHost(g: SimGuest, tSec: number): number {
  return Math.min(g.maxmem * 1.02, guestMem(g, tSec) * 1.06 + 48 * 1024 * 1024);
}

/** LXC rootfs usage in bytes (QEMU reports 0). */
export function guestDiskUsed(g: SimGuest, tSec: number): number {
  return g.maxdisk * clamp(g.diskLevel + 0.01 * smoothNoise(g.key ^ 0x33, tSec, 6 * HOUR), 0.02, 0.98);
}

interface RateShape {
  base: number;
  p1: number;
  p2: number;
}

function rateShape(key: number, which: number, load: number): RateShape {
  const scale = [2_000_000, 600_000, 1_500_000, 900_000][which] ?? 1_000_000;
  return { base: (0.05 + load) * scale * (0.2 + unit(key, which, 1)), p1: unit(key, which, 2) * 6.28, p2: unit(key, which, 3) * 6.28 };
}

function rateAt(s: RateShape, t: number): number {
  return s.base * (1 + 0.5 * Math.sin(dayPhase(t) + s.p1) + 0.3 * Math.sin(hourPhase(t) + s.p2));
}

function integral(s: RateShape, t0: number, t1: number): number {
  if (t1 <= t0) return 0;
  const a = -(Math.cos(dayPhase(t1) + s.p1) - Math.cos(dayPhase(t0) + s.p1)) / WD;
  const b = -(Math.cos(hourPhase(t1) + s.p2) - Math.cos(hourPhase(t0) + s.p2)) / WH;
  return s.base * (t1 - t0 + 0.5 * a + 0.3 * b);
}

const shapeCache = new WeakMap<SimGuest, RateShape[]>();

function guestShapes(g: SimGuest): RateShape[] {
  let s = shapeCache.get(g);
  if (!s) {
    s = [0, 1, 2, 3].map((i) => rateShape(g.key, i, g.load));
    shapeCache.set(g, s);
  }
  return s;
}

/** Rates (bytes/s) of netin, netout, diskread, diskwrite at tSec. */
export function guestRates(g: SimGuest, tSec: number): [number, number, number, number] {
  const s = guestShapes(g);
  return [rateAt(s[0]!, tSec), rateAt(s[1]!, tSec), rateAt(s[2]!, tSec), rateAt(s[3]!, tSec)];
}

/** Bytes accumulated between t0 and t1 for netin, netout, diskread, diskwrite. */
export function guestBytesBetween(g: SimGuest, t0: number, t1: number): [number, number, number, number] {
  const s = guestShapes(g);
  return [integral(s[0]!, t0, t1), integral(s[1]!, t0, t1), integral(s[2]!, t0, t1), integral(s[3]!, t0, t1)];
}

/** Cumulative counters (integers, monotonic while running, 0 when stopped). */
export function guestCounters(g: SimGuest, tSec: number): [number, number, number, number] {
  const c = g.counters;
  if (c.segStart === null) return [Math.floor(c.carry[0]), Math.floor(c.carry[1]), Math.floor(c.carry[2]), Math.floor(c.carry[3])];
  const add = guestBytesBetween(g, c.segStart, tSec);
  return [Math.floor(c.carry[0] + add[0]), Math.floor(c.carry[1] + add[1]), Math.floor(c.carry[2] + add[2]), Math.floor(c.carry[3] + add[3])];
}

/** PSI avg10 percentages (PVE 9): some/full for cpu, io, memory. */
export function guestPressure(key: number, tSec: number, cpu: number): Record<string, number> {
  const n = smoothNoise(key ^ 0x44, tSec, 120);
  const r = (v: number) => Math.round(v * 100) / 100;
  return {
    pressurecpusome: r(cpu * 20 * n),
    pressurecpufull: r(cpu * 5 * n),
    pressureiosome: r(3 * n * n),
    pressureiofull: r(1.5 * n * n),
    pressurememorysome: r(0.4 * n * n * n),
    pressurememoryfull: r(0.2 * n * n * n),
  };
}

/** Host CPU utilisation (fraction of all threads). */
export function nodeCpu(n: SimNode, tSec: number): number {
  return clamp(n.load * (0.5 + 0.6 * daily(n.key, tSec)) * (0.5 + smoothNoise(n.key ^ 0x55, tSec, 60)), 0.005, 0.98);
}

/** iowait fraction. */
export function nodeIowait(n: SimNode, tSec: number): number {
  return clamp(0.002 + 0.03 * smoothNoise(n.key ^ 0x66, tSec, 45) * n.load, 0, 0.5);
}

/** 1-minute load average. */
export function nodeLoad1(n: SimNode, tSec: number): number {
  return nodeCpu(n, tSec) * n.maxcpu * 1.1;
}

/** 1/5/15-minute load averages. */
export function nodeLoadavg(n: SimNode, tSec: number): [number, number, number] {
  const at = (t: number) => nodeLoad1(n, t);
  return [at(tSec), (at(tSec) + at(tSec - 120) + at(tSec - 240)) / 3, (at(tSec) + at(tSec - 300) + at(tSec - 600)) / 3];
}

export interface NodeMemory {
  total: number;
  memFree: number;
  buffersCached: number;
  available: number;
}

/** /proc/meminfo-like view of the node's memory. */
export function nodeMemory(n: SimNode, tSec: number): NodeMemory {
  const usedF = clamp(0.35 + n.load * 0.5 + 0.06 * smoothNoise(n.key ^ 0x77, tSec, 900) + 0.04 * daily(n.key, tSec), 0.1, 0.95);
  const available = Math.round(n.maxmem * (1 - usedF));
  const memFree = Math.round(available * (0.55 + 0.1 * unit(n.key, 5)));
  // Buffers+Cached exceed the reclaimable part (shmem, unevictable pages), so the pre-8.4 "free"
  // (MemFree+Buffers+Cached) is a little larger than MemAvailable, as on real hosts.
  const buffersCached = Math.round((available - memFree) * 1.15);
  return { total: n.maxmem, memFree, buffersCached, available };
}

/** Swap in use (bytes). */
export function nodeSwapUsed(n: SimNode, tSec: number): number {
  return Math.round(n.swapTotal * clamp(0.01 + 0.1 * n.load * smoothNoise(n.key ^ 0x88, tSec, 3 * HOUR), 0, 0.9));
}

/** Root filesystem usage (bytes). */
export function nodeRootUsed(n: SimNode, tSec: number): number {
  return Math.round(n.rootTotal * clamp(0.08 + 0.25 * unit(n.key, 9) + 0.01 * smoothNoise(n.key ^ 0x99, tSec, DAY), 0.02, 0.95));
}

/** ZFS ARC size (PVE 9 node RRD). */
export function nodeArcSize(n: SimNode, tSec: number): number {
  return Math.round(n.maxmem * 0.05 * (0.8 + 0.4 * smoothNoise(n.key ^ 0xaa, tSec, 1800)));
}

/** Physical NIC rates (bytes/s) in and out. */
export function nodeNetRates(n: SimNode, tSec: number): [number, number] {
  const a = rateShape(n.key, 0, n.load * 4);
  const b = rateShape(n.key, 1, n.load * 4);
  return [rateAt(a, tSec), rateAt(b, tSec)];
}

/** Physical NIC byte counters since boot. */
export function nodeNetCounters(n: SimNode, tSec: number): [number, number] {
  return [Math.floor(integral(rateShape(n.key, 0, n.load * 4), n.bootAt, tSec)), Math.floor(integral(rateShape(n.key, 1, n.load * 4), n.bootAt, tSec))];
}

/** Node PSI (PVE 9 RRD): cpu some, io some/full, memory some/full. */
export function nodePressure(n: SimNode, tSec: number): Record<string, number> {
  const p = guestPressure(n.key, tSec, nodeCpu(n, tSec));
  return {
    pressurecpusome: p.pressurecpusome!,
    pressureiosome: p.pressureiosome!,
    pressureiofull: p.pressureiofull!,
    pressurememorysome: p.pressurememorysome!,
    pressurememoryfull: p.pressurememoryfull!,
  };
}

/** Storage used bytes (slow growth plus a little noise). */
export function storageUsed(s: SimStorage, tSec: number): number {
  const growth = s.growthPerDay
    ? s.growthPerDay * ((tSec / DAY) % (s.pruneEveryDays ?? 30))
    : ((tSec / DAY) % 365) / 365 * 0.03;
  return Math.round(s.total * clamp(s.level + growth + 0.01 * smoothNoise(s.key, tSec, 4 * HOUR), 0.01, 0.99));
}
