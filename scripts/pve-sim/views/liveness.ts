// Node liveness as the cluster views see it: an offline node's RRD entries linger for 5 minutes
// (pvestatd data older than that is dropped, pve-api.md §3.3/§10).
import type { SimNode } from '../types.ts';

export type NodeLiveness = 'online' | 'offline' | 'expired';

/** online, offline (stats may linger), or expired (offline for more than 5 minutes). */
export function liveness(n: SimNode, nowSec: number): NodeLiveness {
  if (n.offlineSince === null) return 'online';
  return nowSec - n.offlineSince > 300 ? 'expired' : 'offline';
}

/** The time the node's data was last fresh: now, or when it went offline. */
export function dataTime(n: SimNode, nowSec: number): number {
  return n.offlineSince === null ? nowSec : Math.min(nowSec, n.offlineSince);
}

/** pvestatd's 10 s generation the cluster-wide views lag to. */
export function generation(nowSec: number): number {
  return Math.floor(nowSec / 10) * 10;
}
