// Pure helpers for chart series: which tier serves which range, compact number encoding, and
// encoding of the in-memory raw window. The browser merges the sources of a range (coarse
// first, then finer points after the coarse series ends) — see site-templates/assets/site.js.
import type { EncodedSeries } from '../store/site-series.repository.ts';
import { WINDOW_METRICS, type GuestWindow } from './recent-cache.ts';

export const MAX_POINTS = 600;

export type SourceId = 'raw' | 'day' | 'long.w' | 'long.m' | 'long.y';

export interface RangeSpec {
  id: '1h' | '24h' | '7d' | '30d' | '1y';
  seconds: number;
  /** Sources from coarsest to finest; each finer one only contributes points after the previous ends. */
  sources: SourceId[];
}

/** Ranges and the tiers they are drawn from: raw, 5-minute (day), hourly (w), 2-hourly (m), daily (y). */
export const RANGES: RangeSpec[] = [
  { id: '1h', seconds: 3600, sources: ['raw'] },
  { id: '24h', seconds: 86_400, sources: ['day', 'raw'] },
  { id: '7d', seconds: 7 * 86_400, sources: ['long.w', 'day', 'raw'] },
  { id: '30d', seconds: 30 * 86_400, sources: ['long.m', 'day', 'raw'] },
  { id: '1y', seconds: 365 * 86_400, sources: ['long.y', 'long.m', 'day', 'raw'] },
];

/** The tier queries behind each file-level source. */
export const SOURCE_TIERS = {
  day: { tier: '5m' as const, seconds: 86_400, group: 300 },
  'long.w': { tier: '1h' as const, seconds: 7 * 86_400, group: 3600 },
  'long.m': { tier: '1h' as const, seconds: 30 * 86_400, group: 7200 },
  'long.y': { tier: '1h' as const, seconds: 366 * 86_400, group: 86_400 },
};

/** 3 significant digits, as a JSON number ("12.3", "0.5", "123000"); null → "null". */
export function sig3(x: number | null | undefined): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return 'null';
  if (x === 0) return '0';
  const a = x < 0 ? -x : x;
  // Hot path (hundreds of thousands of calls per build): values in [0.0001, 100) are printed from
  // the rounded integer with the decimal point put in by hand — String() of a fraction is slow.
  if (a < 100 && a >= 1e-4) {
    const d = a >= 10 ? 1 : a >= 1 ? 2 : a >= 0.1 ? 3 : a >= 0.01 ? 4 : a >= 0.001 ? 5 : 6;
    return decimal(Math.round(x * POW10[d]!), d);
  }
  const e = Math.floor(Math.log10(a));
  // Divide by an exact power of ten (or multiply by one) so the result prints without noise.
  if (e >= 2) {
    const p = POW10[e - 2] ?? 10 ** (e - 2);
    return String(Math.round(x / p) * p);
  }
  const p = POW10[2 - e] ?? 10 ** (2 - e);
  return String(Math.round(x * p) / p);
}

/** The integer m scaled by 10^-d, as the shortest decimal (what String(m / 10 ** d) prints). */
function decimal(m: number, d: number): string {
  if (m === 0) return '0';
  const neg = m < 0;
  let digits = String(neg ? -m : m);
  let k = d;
  while (k > 0 && digits.charCodeAt(digits.length - 1) === 48) {
    digits = digits.slice(0, -1);
    k--;
  }
  let out: string;
  if (k === 0) out = digits;
  else if (digits.length > k) out = `${digits.slice(0, digits.length - k)}.${digits.slice(digits.length - k)}`;
  else out = `0.${'0'.repeat(k - digits.length)}${digits}`;
  return neg ? `-${out}` : out;
}
const POW10 = Array.from({ length: 23 }, (_, k) => 10 ** k);

/** Bytes → whole MiB; null → "null". */
export function mib(x: number | null | undefined): string {
  return x === null || x === undefined || !Number.isFinite(x) ? 'null' : String(Math.round(x / 1048576));
}

/** Bytes/s → KiB/s with 3 significant digits. */
export function kib(x: number | null | undefined): string {
  return sig3(x === null || x === undefined ? null : x / 1024);
}

/** Raw values are NaN where missing: each encoder prints a non-finite value as null. */
const RAW_ENCODE: Record<(typeof WINDOW_METRICS)[number], (x: number) => string> = {
  cpu: (x) => sig3(x * 100),
  mem: mib,
  disk: mib,
  ni: kib,
  no: kib,
  dr: kib,
  dw: kib,
};

/** Whether RAW_ENCODE prints x as 0 or null: decided on the number, without a string per value. */
const blank = (name: string, x: number) => (name === 'mem' || name === 'disk' ? !Number.isFinite(x) || Math.round(x / 1048576) === 0 : !Number.isFinite(name === 'cpu' ? x * 100 : x) || x === 0);

/** Encodes the window's samples with from ≤ ts (< until, when given) as a series JSON object; null when there are none. */
export function encodeWindow(w: GuestWindow | undefined, from: number, until = Infinity): string | null {
  if (!w) return null;
  // Every guest's window is encoded every cycle (the live files): the columns are read in place
  // (no subarray view per column) and each metric is appended to the output directly.
  const ts = w.time;
  // Windows are short and time-ordered: scan from the end.
  let b = w.n;
  while (b > 0 && ts[b - 1]! >= until) b--;
  let a = b;
  while (a > 0 && ts[a - 1]! >= from) a--;
  const n = b - a;
  // "Empty" is decided here, on the samples: the caller leaves the guest out of the file.
  if (n === 0) return null;
  const t0 = ts[a]!;
  // Samples a poll interval apart (the usual case) are stored as a step and a count only.
  const step = n > 1 ? ts[a + 1]! - t0 : 1;
  let regular = step > 0;
  for (let k = a + 1; regular && k < b; k++) if (ts[k]! - ts[k - 1]! !== step) regular = false;
  let out = `{"t0":${t0},"step":${regular ? step : 1},"n":${n}`;
  if (!regular) {
    out += `,"i":[0`;
    for (let k = a + 1; k < b; k++) out += `,${ts[k]! - t0}`;
    out += ']';
  }
  const vals = w.vals;
  for (let m = 0; m < WINDOW_METRICS.length; m++) {
    const name = WINDOW_METRICS[m]!;
    const enc = RAW_ENCODE[name];
    const o = m * w.cap;
    // An all-zero (or all-missing) metric is left out: find the first value worth printing.
    let k = a;
    while (k < b && blank(name, vals[o + k]!)) k++;
    if (k === b) continue;
    out += `,"${name}":[`;
    for (let j = a; j < b; j++) out += j === a ? enc(vals[o + j]!) : `,${enc(vals[o + j]!)}`;
    out += ']';
  }
  return `${out}}`;
}

export interface Point {
  ts: number;
  v: Array<number | null>;
}

/**
 * Averages consecutive points into groups so that at most `max` remain (time-bucketed, so
 * gaps stay gaps). Used for series built in TypeScript (node raw windows).
 */
export function groupPoints(points: Point[], max = MAX_POINTS): Point[] {
  if (points.length <= max) return points;
  const first = points[0]!.ts;
  const last = points[points.length - 1]!.ts;
  const width = Math.max(1, Math.ceil((last - first + 1) / max));
  const out: Point[] = [];
  let cur: { ts: number; sums: number[]; counts: number[] } | null = null;
  const flush = () => {
    if (cur) out.push({ ts: cur.ts, v: cur.sums.map((s, k) => (cur!.counts[k] ? s / cur!.counts[k]! : null)) });
  };
  for (const p of points) {
    const b = first + Math.floor((p.ts - first) / width) * width;
    if (!cur || cur.ts !== b) {
      flush();
      cur = { ts: b, sums: p.v.map(() => 0), counts: p.v.map(() => 0) };
    }
    p.v.forEach((x, k) => {
      if (x !== null) {
        cur!.sums[k]! += x;
        cur!.counts[k]! += 1;
      }
    });
  }
  flush();
  return out;
}

const ALL_ZERO = /^(?:0|null)(?:,(?:0|null))*$/;

/**
 * Encodes a series as the JSON object the browser reads (see site-templates/DATA-FORMAT.md).
 * Offsets are left out when they are 0..n-1 (starting at the first point), metrics that are all
 * zero or null are left out (QEMU disk, idle devices). The offsets are scanned in place (no
 * split into one string per point: a full build encodes some 30,000 series of up to 366 points).
 */
export function seriesJson(s: Pick<EncodedSeries, 't0' | 'step' | 'i' | 'metrics'>): string {
  const i = s.i;
  let n = i === '' ? 0 : 1;
  for (let k = i.indexOf(','); k !== -1; k = i.indexOf(',', k + 1)) n++;
  const comma = i.indexOf(',');
  const first = n === 0 ? 0 : Number(comma === -1 ? i : i.slice(0, comma));
  const t0 = s.t0 + first * s.step;
  let out = `{"t0":${t0},"step":${s.step},"n":${n}`;
  // Offsets rise strictly (one point per step): they are 0..n-1 exactly when the last is n-1.
  if (n > 0 && Number(i.slice(i.lastIndexOf(',') + 1)) - first !== n - 1) {
    out += `,"i":[${first === 0 ? i : i.split(',').map((x) => Number(x) - first).join(',')}]`;
  }
  for (const name in s.metrics) {
    const v = s.metrics[name]!;
    if (!ALL_ZERO.test(v)) out += `,"${name}":[${v}]`;
  }
  return `${out}}`;
}
