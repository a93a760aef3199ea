// Pure: the fleet → status.json, the documented machine-readable snapshot (DATA-FORMAT.md).
import { clusterNames, countFleet, countStorageNearFull, type Fleet } from './build-fleet-model.ts';
import { paths } from './site-paths.ts';
import type { PollRunRow } from '../store/site-activity.repository.ts';
import type { pollErrorsForStatus } from './build-fidelity-model.ts';
import { toJson } from './encode-json.ts';
import { buildHealthStatus } from '../health/build-health-model.ts';
import type { HealthSiteRows } from '../store/health-site.query.ts';
import type { AlertsStatus } from '../alerts/site/alerts-status.model.ts';

/** issue 12 item 3 (fidelity), added compatibly: per-node poll errors of the cluster (DATA-FORMAT.md). */
const pollErrorFields = (e: ReturnType<ReturnType<typeof pollErrorsForStatus>['get']>, lastCycleAt: number | undefined) => ({
  poll_errors_24h: e?.errors_24h ?? 0,
  last_poll_error_at: e?.last_error_at ?? null,
  // the problems of the latest cycle only: a node that answered again has none
  node_errors: e && e.last_error_at === lastCycleAt ? e.node_errors : [],
});

const r3 = (x: number | null | undefined) => (x === null || x === undefined ? null : Math.round(x * 1000) / 1000);

/** status.json text. Guests are arrays (see `guest_fields`) to keep the file small at 10,000 guests. */
export function buildStatusJson(f: Fleet, generatedAt: number, pollIntervalSeconds: number, staleAfterSeconds: number, pollRuns: readonly PollRunRow[] = [], pollErrors?: ReturnType<typeof pollErrorsForStatus>, parts: { health?: HealthSiteRows; alerts?: AlertsStatus | undefined } = {}): string {
  const names = clusterNames(f);
  // The agent's own health per cluster: its latest poll run.
  const lastRun = new Map<number, PollRunRow>();
  for (const r of pollRuns) if ((lastRun.get(r.cluster_id)?.started_at ?? -1) < r.started_at) lastRun.set(r.cluster_id, r);
  const poll = (id: number) => {
    const r = lastRun.get(id);
    return r ? { last_cycle_at: r.started_at, duration_ms: r.duration_ms, requests: r.requests, errors: r.errors, endpoint: r.endpoint, ok: r.ok === 1, error: r.error } : null;
  };
  const k = countFleet(f);
  const counts = { clusters: f.clusters.length, nodes_online: k.nodesOnline, nodes_offline: k.nodesOffline, guests_running: k.guestsRunning, guests_stopped: k.guestsStopped, guests_other: k.guestsOther, templates: k.templates, storage_near_full: countStorageNearFull(f), tasks_failed_24h: f.failedTasks24h, actions_failed_24h: f.failedActions24h };
  const guests = f.guests.map((g) => {
    const c = names.get(g.cluster_id) ?? '?';
    const n = f.now.get(`${g.cluster_id}/${g.vmid}`);
    return [c, g.vmid, g.name, g.type, g.node, g.status, r3(n?.cpu), n?.mem ?? null, g.maxmem, n?.uptime ?? null, n?.netin ?? null, n?.netout ?? null];
  });
  const doc = {
    v: 1,
    generated_at: generatedAt,
    poll_interval_seconds: pollIntervalSeconds,
    stale_after_seconds: staleAfterSeconds,
    counts,
    clusters: f.clusters.map((c) => ({ name: c.name, pve_name: c.pve_name, quorate: c.quorate === null ? null : c.quorate === 1, nodes: c.node_count, version: c.pve_version, last_ok_at: c.last_ok_at, last_sample_ts: c.last_sample_ts, last_error: c.last_error, poll: poll(c.id), ...(pollErrors && pollErrorFields(pollErrors.get(c.name), lastRun.get(c.id)?.started_at)) })),
    nodes: f.nodes.map((n) => ({ cluster: names.get(n.cluster_id) ?? '?', node: n.node, status: n.status, cpu: r3(n.cpu), maxcpu: n.maxcpu, mem_used: n.mem_used, mem_available: n.mem_available, mem_total: n.mem_total, load1: n.load1, uptime: n.uptime, page: paths.node(names.get(n.cluster_id) ?? '?', n.node) })),
    storage: f.storages.map((s) => ({ cluster: names.get(s.cluster_id) ?? '?', node: s.node, storage: s.storage, type: s.type, shared: s.shared === 1, status: s.status, used: s.used, total: s.total })),
    guest_fields: ['cluster', 'vmid', 'name', 'type', 'node', 'status', 'cpu', 'mem', 'maxmem', 'uptime', 'netin', 'netout'],
    guest_page: 'g/<cluster>/<bucket>/<vmid>.html, bucket = floor(vmid / 100) + "xx"',
    guests,
    // added compatibly after the guests (DATA-FORMAT.md): health (#15), alerts (#16)
    ...(parts.health && { health: buildHealthStatus(parts.health) }),
    ...(parts.alerts && { alerts: parts.alerts }),
  };
  return toJson(doc);
}
