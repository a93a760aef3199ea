// In-memory window of recent raw guest samples (the last ~90 min), fed by record() each cycle
// and topped up from the database for anything record() did not see (first build, restarts).
// It spares the site from reading the time-major raw table per guest.
import type { ClusterSnapshot } from '../poll/cluster-snapshot.ts';
import type { PackedColumn, PackedGuestSamples, RawGuestSample } from '../store/site-samples.repository.ts';

/**
 * One guest's samples, oldest first: `n` samples in column-major order, `cap` samples per column:
 * ts and uptime in one Float64Array (`time`), the seven chart metrics in one Float32Array
 * (`vals`, WINDOW_METRICS order); NaN where a value is missing. Numbers in plain arrays were ~6
 * million boxed heap numbers at 10,000 guests, which every major GC had to mark; a typed array is
 * one object per guest and its numbers live outside the scanned heap. The metrics are published
 * with 3 significant digits (or whole MiB), far inside a float's 7: single precision halves the
 * window's memory (46 → 28 MB at 10,000 guests) without changing what is drawn.
 */
export interface GuestWindow {
  n: number;
  cap: number;
  time: Float64Array;
  vals: Float32Array;
}

export const WINDOW_METRICS = ['cpu', 'mem', 'disk', 'ni', 'no', 'dr', 'dw'] as const;
export const WINDOW_COLUMNS = ['ts', ...WINDOW_METRICS, 'uptime'] as const;
export type WindowColumn = (typeof WINDOW_COLUMNS)[number];
type Metric = (typeof WINDOW_METRICS)[number];
const TIME_COL = { ts: 0, uptime: 1 } as const;
const COL = Object.fromEntries(WINDOW_METRICS.map((c, k) => [c, k])) as Record<Metric, number>;
const METRICS = WINDOW_METRICS.length;
const isTime = (c: WindowColumn): c is 'ts' | 'uptime' => c === 'ts' || c === 'uptime';
/**
 * Room a new window starts with; it doubles when full and halves again when pruning leaves it a
 * quarter full. The site keeps only the samples not yet in every part's raw chunks (about 10 to
 * 20 minutes, see site-builder.ts), so at one sample a minute 32 is enough; room for the whole
 * hour at every guest (80 samples) was 35 MB of a 10,000-guest agent, and four times that at a
 * 10 s interval.
 */
export const INITIAL_CAP = 16;

/** A stored value: NaN (missing) as null. */
export function valueAt(w: GuestWindow, c: WindowColumn, k: number): number | null {
  const x = isTime(c) ? w.time[TIME_COL[c] * w.cap + k]! : w.vals[COL[c] * w.cap + k]!;
  return Number.isNaN(x) ? null : x;
}

function newWindow(cap: number): GuestWindow {
  return { n: 0, cap, time: new Float64Array(cap * 2), vals: new Float32Array(cap * METRICS) };
}

function resize(w: GuestWindow, cap: number) {
  const time = new Float64Array(cap * 2);
  const vals = new Float32Array(cap * METRICS);
  for (let c = 0; c < 2; c++) time.set(w.time.subarray(c * w.cap, c * w.cap + w.n), c * cap);
  for (let c = 0; c < METRICS; c++) vals.set(w.vals.subarray(c * w.cap, c * w.cap + w.n), c * cap);
  w.time = time;
  w.vals = vals;
  w.cap = cap;
}

export interface RecentCache {
  /** Adds samples; rows at or before a guest's newest ts are ignored (idempotent). */
  add(clusterId: number, rows: Iterable<RawGuestSample>): void;
  /** Sets the windows of a cluster not seen yet (its first fill) from packed per-guest samples. */
  addPacked(clusterId: number, rows: Iterable<PackedGuestSamples>): void;
  /** Adds a cycle's snapshot for a known cluster id. */
  addSnapshot(clusterId: number, snap: ClusterSnapshot): void;
  /** Newest ts seen for a cluster (0 if none). */
  watermark(clusterId: number): number;
  get(clusterId: number, vmid: number): GuestWindow | undefined;
  /**
   * Drops samples older than `from` (in batches: at most once per 10 minutes of `from`) and gives
   * back the room of a window left at most a quarter full.
   */
  prune(from: number): void;
  /** Typed-array bytes held (for tests and measurements). */
  bytes(): number;
}

const key = (c: number, v: number) => c * 1_000_000_000 + v;

/** Creates an empty cache. */
export function createRecentCache(): RecentCache {
  const windows = new Map<number, GuestWindow>();
  const marks = new Map<number, number>();
  let lastPrune = 0;

  function push(clusterId: number, r: RawGuestSample) {
    const k = key(clusterId, r.vmid);
    let w = windows.get(k);
    if (!w) windows.set(k, (w = newWindow(INITIAL_CAP)));
    if (w.n > 0 && r.ts <= w.time[w.n - 1]!) return;
    if (w.n === w.cap) resize(w, w.cap * 2);
    const { time, vals, cap, n } = w;
    time[n] = r.ts;
    time[cap + n] = r.uptime ?? NaN;
    vals[COL.cpu * cap + n] = r.cpu ?? NaN;
    vals[COL.mem * cap + n] = r.mem ?? NaN;
    vals[COL.disk * cap + n] = r.disk ?? NaN;
    vals[COL.ni * cap + n] = r.netin_bps ?? NaN;
    vals[COL.no * cap + n] = r.netout_bps ?? NaN;
    vals[COL.dr * cap + n] = r.diskread_bps ?? NaN;
    vals[COL.dw * cap + n] = r.diskwrite_bps ?? NaN;
    w.n = n + 1;
    if (r.ts > (marks.get(clusterId) ?? 0)) marks.set(clusterId, r.ts);
  }

  /** Drops a cluster's samples at or after `ts` and sets its watermark before it. */
  function cutFrom(clusterId: number, ts: number) {
    for (const [k, w] of windows) {
      if (Math.floor(k / 1_000_000_000) !== clusterId) continue;
      while (w.n > 0 && w.time[w.n - 1]! >= ts) w.n--;
    }
    marks.set(clusterId, ts - 1);
  }

  const nums = (s: PackedColumn) => (typeof s === 'string' ? (JSON.parse(s) as Array<number | null>) : s);
  return {
    add(clusterId, rows) {
      for (const r of rows) push(clusterId, r);
    },
    addPacked(clusterId, rows) {
      for (const r of rows) {
        const ts = nums(r.ts) as number[];
        const w = newWindow(Math.max(INITIAL_CAP, ts.length + 16));
        for (const c of WINDOW_COLUMNS) {
          const vals = nums(r[c]);
          const [to, o] = isTime(c) ? [w.time, TIME_COL[c] * w.cap] : [w.vals, COL[c] * w.cap];
          for (let k = 0; k < vals.length; k++) to[o + k] = vals[k] ?? NaN;
        }
        w.n = ts.length;
        windows.set(key(clusterId, r.vmid), w);
        const last = ts[ts.length - 1];
        if (last !== undefined && last > (marks.get(clusterId) ?? 0)) marks.set(clusterId, last);
      }
    },
    addSnapshot(clusterId, snap) {
      // issue 12 item 8 (fidelity): a backward clock step; samples stamped by the clock that ran
      // ahead are dropped (the store deletes them too), else every later sample would be ignored.
      if (snap.ts <= (marks.get(clusterId) ?? 0)) cutFrom(clusterId, snap.ts);
      for (const g of snap.guests) {
        if (g.status === 'stopped' || g.template) continue;
        push(clusterId, {
          ts: snap.ts, cluster_id: clusterId, vmid: g.vmid, uptime: g.uptime, cpu: g.cpu, mem: g.mem, disk: g.disk,
          netin_bps: g.netinBps, netout_bps: g.netoutBps, diskread_bps: g.diskreadBps, diskwrite_bps: g.diskwriteBps,
        });
      }
      if (snap.ts > (marks.get(clusterId) ?? 0)) marks.set(clusterId, snap.ts);
    },
    watermark: (c) => marks.get(c) ?? 0,
    get: (c, v) => windows.get(key(c, v)),
    prune(from) {
      // Pruning shifts every guest's arrays; once per ~10 min keeps it cheap (encoders filter by time).
      if (from - lastPrune < 600) return;
      lastPrune = from;
      for (const [k, w] of windows) {
        let n = 0;
        while (n < w.n && w.time[n]! < from) n++;
        if (n === w.n) {
          windows.delete(k);
          continue;
        }
        if (n > 0) {
          for (let c = 0; c < 2; c++) w.time.copyWithin(c * w.cap, c * w.cap + n, c * w.cap + w.n);
          for (let c = 0; c < METRICS; c++) w.vals.copyWithin(c * w.cap, c * w.cap + n, c * w.cap + w.n);
          w.n -= n;
        }
        let cap = w.cap;
        while (cap > INITIAL_CAP && w.n * 4 <= cap) cap = Math.max(INITIAL_CAP, cap >> 1);
        if (cap !== w.cap) resize(w, cap);
      }
    },
    bytes() {
      let b = 0;
      for (const w of windows.values()) b += w.time.byteLength + w.vals.byteLength;
      return b;
    },
  };
}
