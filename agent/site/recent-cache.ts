// In-memory window of recent raw guest samples (the last ~90 min), fed by record() each cycle
// and topped up from the database for anything record() did not see (first build, restarts).
// It spares the site from reading the time-major raw table per guest.
import type { ClusterSnapshot } from '../poll/cluster-snapshot.ts';
import type { PackedColumn, PackedGuestSamples, RawGuestSample } from '../store/site-samples.repository.ts';

/** Columns kept per guest: parallel arrays, oldest first. */
export interface GuestWindow {
  ts: number[];
  cpu: Array<number | null>;
  mem: Array<number | null>;
  disk: Array<number | null>;
  ni: Array<number | null>;
  no: Array<number | null>;
  dr: Array<number | null>;
  dw: Array<number | null>;
  uptime: Array<number | null>;
}

export const WINDOW_METRICS = ['cpu', 'mem', 'disk', 'ni', 'no', 'dr', 'dw'] as const;

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
  /** Drops samples older than `from` (in batches: at most once per 10 minutes of `from`). */
  prune(from: number): void;
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
    if (!w) windows.set(k, (w = { ts: [], cpu: [], mem: [], disk: [], ni: [], no: [], dr: [], dw: [], uptime: [] }));
    const last = w.ts[w.ts.length - 1];
    if (last !== undefined && r.ts <= last) return;
    w.ts.push(r.ts);
    w.cpu.push(r.cpu);
    w.mem.push(r.mem);
    w.disk.push(r.disk);
    w.ni.push(r.netin_bps);
    w.no.push(r.netout_bps);
    w.dr.push(r.diskread_bps);
    w.dw.push(r.diskwrite_bps);
    w.uptime.push(r.uptime);
    if (r.ts > (marks.get(clusterId) ?? 0)) marks.set(clusterId, r.ts);
  }

  /** Drops a cluster's samples at or after `ts` and sets its watermark before it. */
  function cutFrom(clusterId: number, ts: number) {
    for (const [k, w] of windows) {
      if (Math.floor(k / 1_000_000_000) !== clusterId) continue;
      let n = w.ts.length;
      while (n > 0 && w.ts[n - 1]! >= ts) n--;
      for (const col of ['ts', 'uptime', ...WINDOW_METRICS] as const) w[col].length = n;
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
        // Take the parsed columns as they are: no per-sample object.
        windows.set(key(clusterId, r.vmid), { ts, uptime: nums(r.uptime), cpu: nums(r.cpu), mem: nums(r.mem), disk: nums(r.disk), ni: nums(r.ni), no: nums(r.no), dr: nums(r.dr), dw: nums(r.dw) });
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
        while (n < w.ts.length && w.ts[n]! < from) n++;
        if (n === 0) continue;
        if (n === w.ts.length) {
          windows.delete(k);
          continue;
        }
        for (const col of ['ts', 'uptime', ...WINDOW_METRICS] as const) w[col].splice(0, n);
      }
    },
  };
}
