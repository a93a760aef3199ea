// Where in the poll interval an agent's cycles fire (issue 17 item 5). Cycles are aligned to the
// clock; several agents on one database would otherwise all poll, store and publish in the same
// second, and the database (and a shared host's CPUs) would get N agents' writes at once and then
// nothing for the rest of the interval. Each agent takes its own slot instead. The holder of the
// site lease builds the whole fleet's site after its own store stage, so it fires last, half an
// interval after the first: the other live agents (the holders of unexpired leases) share the
// first half evenly in id order, and the site is built in the second half from a fleet cycle in
// which every agent has already stored, away from their store stages. Pure.
import type { LeaseRow } from './lease-plan.ts';

/** The share of the interval that the site holder's build has to itself (after the others' slots). */
export const SITE_BUILD_SHARE = 0.5;

/** The agents alive now as the leases show them (unexpired, unreleased holders), and `me`. */
export function liveAgents(me: string, leases: readonly LeaseRow[], nowMs: number): string[] {
  const ids = new Set([me]);
  for (const l of leases) if (l.releasedMs === null && l.expiresMs > nowMs) ids.add(l.holder);
  return [...ids].sort();
}

/** The holder of the unexpired, unreleased lease `name` (the site lease), if any. */
export function leaseHolder(name: string, leases: readonly LeaseRow[], nowMs: number): string | undefined {
  const l = leases.find((x) => x.cluster === name);
  return l && l.releasedMs === null && l.expiresMs > nowMs ? l.holder : undefined;
}

/**
 * The phase (ms after each aligned interval start, in [0, interval)) of `me` among `agents`. An
 * agent that is not among them (not yet seen) counts as one more. Without a site holder among
 * several agents: its rank in id order times interval / count. With one: the others' ranks (id
 * order) times (1 − SITE_BUILD_SHARE) × interval / (count − 1), and the site holder last, at
 * (1 − SITE_BUILD_SHARE) × interval.
 */
export function cyclePhaseMs(me: string, agents: readonly string[], intervalMs: number, siteHolder?: string): number {
  const ids = [...new Set([...agents, me])].sort();
  if (siteHolder === undefined || !ids.includes(siteHolder) || ids.length === 1) {
    return Math.floor((ids.indexOf(me) * intervalMs) / ids.length);
  }
  const front = (1 - SITE_BUILD_SHARE) * intervalMs;
  if (me === siteHolder) return Math.floor(front);
  const others = ids.filter((id) => id !== siteHolder);
  return Math.floor((others.indexOf(me) * front) / others.length);
}
