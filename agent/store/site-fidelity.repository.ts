// The site's collect-stage reads for issue 12 items 2 and 3 (poll errors, PVE 9 pressure/ARC),
// in one function so the hook-up into the site engine is one line.
import type { Kysely } from 'kysely';
import type { Database } from './schema.ts';
import { recentPollErrors, type PollErrorRow } from './poll-errors.repository.ts';
import { latestGuestPressure, latestNodePressure, type GuestPressureRow, type NodePressureRow } from './pressure.repository.ts';

export interface FidelityData {
  /** Newest first. */
  pollErrors: PollErrorRow[];
  /** Key `${cluster_id}/${node}`. */
  nodePressure: Map<string, NodePressureRow>;
  /** Key `${cluster_id}/${vmid}`. */
  guestPressure: Map<string, GuestPressureRow>;
}

/** Poll errors of the last 24 h; pressure/ARC rows of the raw retention (48 h). */
export async function collectFidelityData(db: Kysely<Database>, nowSec: number): Promise<FidelityData> {
  const [pollErrors, nodes, guests] = await Promise.all([
    recentPollErrors(db, nowSec - 86_400),
    latestNodePressure(db, nowSec - 2 * 86_400),
    latestGuestPressure(db, nowSec - 2 * 86_400),
  ]);
  return {
    pollErrors,
    nodePressure: new Map(nodes.map((r) => [`${r.cluster_id}/${r.node}`, r])),
    guestPressure: new Map(guests.map((r) => [`${r.cluster_id}/${r.vmid}`, r])),
  };
}
