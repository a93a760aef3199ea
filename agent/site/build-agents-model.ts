// Pure: agents, leases and handovers (issue 17 item 2) → the "Agents and leases" section of the
// agent page (site-templates/partials/agents-fleet.eta). Kept apart from the site engine so the
// hook-up is a few marked lines.
import type { readFleet } from '../store/lease.repository.ts';
import { SITE_LEASE } from '../store/fleet-schema.ts';

export type AgentsData = Awaited<ReturnType<typeof readFleet>>;

/** Epoch ms → "2026-12-07 03:14:05 UTC" (leases move within seconds: minutes are too coarse). */
const at = (ms: number) => `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
const leaseName = (n: string) => (n === SITE_LEASE ? 'site (publisher)' : n);

/** Builds the section's model as of nowMs. */
export function buildAgentsModel(d: AgentsData, nowMs: number) {
  const live = d.leases.filter((l) => l.releasedMs === null && l.expiresMs > nowMs);
  return {
    agents: d.agents.map((a) => {
      const mine = live.filter((l) => l.holder === a.id);
      return {
        id: a.id,
        host: a.host,
        state: a.stoppedMs !== null && a.stoppedMs >= a.startedMs ? 'stopped' : a.seenMs + a.leaseMs < nowMs ? 'silent' : 'running',
        seen: at(a.seenMs),
        configured: a.clusters.join(', '),
        holds: mine.filter((l) => l.cluster !== SITE_LEASE).map((l) => l.cluster).join(', ') || '–',
        publisher: mine.some((l) => l.cluster === SITE_LEASE),
        copy: a.publishCopy,
      };
    }),
    leases: [...d.leases]
      .sort((x, y) => (x.cluster === SITE_LEASE ? -1 : y.cluster === SITE_LEASE ? 1 : x.cluster.localeCompare(y.cluster)))
      .map((l) => ({
        lease: leaseName(l.cluster),
        holder: l.holder,
        since: at(l.acquiredMs),
        expires: at(l.expiresMs),
        state: l.releasedMs !== null ? 'released' : l.expiresMs <= nowMs ? 'expired' : 'held',
      })),
    handovers: d.handovers.map((h) => ({ ms: h.atMs, when: at(h.atMs), lease: leaseName(h.cluster), from: h.from ?? '–', to: h.to ?? '–', reason: h.reason })),
  };
}
