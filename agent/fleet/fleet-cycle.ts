// The site holder's wait for a coherent fleet cycle (issue 17 item 5). The holder of the site
// lease publishes the whole fleet, so before its fleet duties (rollups, alert rules, the site) it
// waits until the other live agents' clusters have stored this interval's cycle, as the store
// says (clusters.last_poll_at), or until a bound, whichever comes first. With the phases of
// cycle-phase.ts the others fired earlier in the interval and have normally stored by then: one
// query, no wait. The bound keeps a slow or stalled agent from delaying the site by more than a
// tenth of the interval.
import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.ts';
import { countClustersBehind } from '../store/lease.repository.ts';

/** The longest wait, as a share of the interval. */
export const FLEET_CYCLE_WAIT_SHARE = 0.1;

export interface FleetCycleDeps {
  db: Kysely<Database>;
  agentId: string;
  intervalSeconds: number;
  /** Epoch ms. */
  now: () => number;
  /** Waits `ms` (tests pass one that advances their clock). */
  sleep?: (ms: number) => Promise<void>;
  /** Between two looks at the store (default 250 ms). */
  pollMs?: number;
  /** True once a stop was requested: the wait ends. */
  stopping?: () => boolean;
}

export interface FleetCycleWait {
  /** Clusters of other agents still behind when the wait ended (0: the fleet cycle is complete). */
  behind: number;
  waitedMs: number;
}

const defaultSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Waits until no cluster of another live agent is behind the interval of `cycleStartMs` (see
 * countClustersBehind), at most FLEET_CYCLE_WAIT_SHARE of the interval.
 */
export async function awaitFleetCycle(deps: FleetCycleDeps, cycleStartMs: number): Promise<FleetCycleWait> {
  const intervalMs = deps.intervalSeconds * 1000;
  const tickMs = Math.floor(cycleStartMs / intervalMs) * intervalMs;
  const tickSec = tickMs / 1000;
  const previousTickSec = tickSec - deps.intervalSeconds;
  const t0 = deps.now();
  const deadline = t0 + FLEET_CYCLE_WAIT_SHARE * intervalMs;
  const sleep = deps.sleep ?? defaultSleep;
  for (;;) {
    const behind = await countClustersBehind(deps.db, deps.agentId, deps.now(), tickSec, previousTickSec);
    const left = deadline - deps.now();
    if (behind === 0 || left <= 0 || deps.stopping?.()) return { behind, waitedMs: deps.now() - t0 };
    await sleep(Math.min(deps.pollMs ?? 250, left));
  }
}
