// Cumulative guest counters (netin/netout/diskread/diskwrite, bytes since guest start) → bytes/s
// against the previous sample of the same guest (pve-api.md §3.3: counters reset on restart or
// migration). Pure: the state is a Map passed in and returned.
import type { GuestState } from './cluster-snapshot.ts';

export interface RateSample {
  ts: number;
  node: string;
  uptime: number | null;
  netin: number | null;
  netout: number | null;
  diskread: number | null;
  diskwrite: number | null;
}

/** Previous sample per guest, keyed by `${cluster}/${vmid}`. */
export type RateState = Map<string, RateSample>;

function rate(prev: number | null, cur: number | null, dt: number): number | null {
  if (prev === null || cur === null || cur < prev) return null;
  return (cur - prev) / dt;
}

/**
 * Fills the *Bps fields of each guest from the previous sample. No rate (null) for the first
 * sample, after a counter went down, after uptime went down (restart), after a move to another
 * node (migration), or when the clock did not advance. Guests not seen this time are dropped from
 * the state. Returns new guest objects and the new state.
 */
export function deriveRates(cluster: string, ts: number, guests: GuestState[], state: RateState): { guests: GuestState[]; state: RateState } {
  const next: RateState = new Map();
  const out = guests.map((g) => {
    const key = `${cluster}/${g.vmid}`;
    const c = g.counters;
    const cur: RateSample = { ts, node: g.node, uptime: g.uptime, netin: c.netin, netout: c.netout, diskread: c.diskread, diskwrite: c.diskwrite };
    const prev = state.get(key);
    const running = g.status !== 'stopped' && g.status !== 'unknown';
    if (running) next.set(key, cur);
    const dt = prev ? ts - prev.ts : 0;
    const reset =
      !prev || !running || dt <= 0 || prev.node !== g.node || (prev.uptime !== null && g.uptime !== null && g.uptime < prev.uptime);
    if (reset) return { ...g, netinBps: null, netoutBps: null, diskreadBps: null, diskwriteBps: null };
    const netinBps = rate(prev.netin, c.netin, dt);
    const netoutBps = rate(prev.netout, c.netout, dt);
    const diskreadBps = rate(prev.diskread, c.diskread, dt);
    const diskwriteBps = rate(prev.diskwrite, c.diskwrite, dt);
    // any counter that went down means the guest's counters restarted: trust none of them
    const pairs: Array<[number | null, number | null]> = [[prev.netin, c.netin], [prev.netout, c.netout], [prev.diskread, c.diskread], [prev.diskwrite, c.diskwrite]];
    const anyDown = pairs.some(([a, b]) => a !== null && b !== null && b < a);
    if (anyDown) return { ...g, netinBps: null, netoutBps: null, diskreadBps: null, diskwriteBps: null };
    return { ...g, netinBps, netoutBps, diskreadBps, diskwriteBps };
  });
  return { guests: out, state: next };
}
