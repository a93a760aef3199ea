// Where in the poll interval an agent's cycles fire (issue 17 item 5). Cycles are aligned to the
// clock; several agents on one database would otherwise all poll, store and publish in the same
// second, and the database (and a shared host's CPUs) would get N agents' writes at once and then
// nothing for the rest of the interval. Each agent takes its own slot instead: the live agents
// (itself and the holders of unexpired leases) sorted by id share the interval evenly, so five
// agents at 30 s fire 6 s apart. Pure.
import type { LeaseRow } from './lease-plan.ts';

/** The agents alive now as the leases show them (unexpired, unreleased holders), and `me`. */
export function liveAgents(me: string, leases: readonly LeaseRow[], nowMs: number): string[] {
  const ids = new Set([me]);
  for (const l of leases) if (l.releasedMs === null && l.expiresMs > nowMs) ids.add(l.holder);
  return [...ids].sort();
}

/**
 * The phase (ms after each aligned interval start, in [0, interval)) of `me` among `agents`:
 * its rank in id order times interval / count. An agent that is not among them (not yet seen)
 * counts as one more.
 */
export function cyclePhaseMs(me: string, agents: readonly string[], intervalMs: number): number {
  const ids = [...new Set([...agents, me])].sort();
  return Math.floor((ids.indexOf(me) * intervalMs) / ids.length);
}
