// The agent's own health as plain JSON (for a status file and a site page): per cluster the last
// cycle's duration, requests, errors and the endpoint in use. Pure.
import type { PollResult } from './poll-cycle.ts';

export interface ClusterHealth {
  cluster: string;
  ok: boolean;
  /** ok | duplicate | failed */
  state: 'ok' | 'duplicate' | 'failed';
  duplicateOf: string | null;
  lastCycleAt: string;
  lastCycleMs: number;
  requests: number;
  errors: number;
  endpoint: string | null;
  error: { code: string; message: string } | null;
  warnings: string[];
  guests: number | null;
  nodesOnline: number | null;
  nodes: number | null;
}

export interface HealthStatus {
  generatedAt: string;
  ok: boolean;
  clusters: ClusterHealth[];
  totals: { clusters: number; failed: number; requests: number; errors: number; cycleMs: number };
}

/** Summarises one cycle's results; `ok` is true when no cluster failed. */
export function healthStatus(results: PollResult[], nowMs: number): HealthStatus {
  const clusters = results.map((r): ClusterHealth => ({
    cluster: r.cluster,
    ok: r.ok,
    state: !r.ok ? 'failed' : r.duplicateOf ? 'duplicate' : 'ok',
    duplicateOf: r.duplicateOf ?? null,
    lastCycleAt: new Date(r.startedAt).toISOString(),
    lastCycleMs: r.durationMs,
    requests: r.requests,
    errors: r.errors,
    endpoint: r.endpoint,
    error: r.error ?? null,
    warnings: r.warnings,
    guests: r.snapshot ? r.snapshot.guests.length : null,
    nodesOnline: r.snapshot ? r.snapshot.nodes.filter((n) => n.status === 'online').length : null,
    nodes: r.snapshot ? r.snapshot.nodes.length : null,
  }));
  return {
    generatedAt: new Date(nowMs).toISOString(),
    ok: clusters.every((c) => c.ok),
    clusters,
    totals: {
      clusters: clusters.length,
      failed: clusters.filter((c) => !c.ok).length,
      requests: clusters.reduce((n, c) => n + c.requests, 0),
      errors: clusters.reduce((n, c) => n + c.errors, 0),
      cycleMs: clusters.reduce((n, c) => Math.max(n, c.lastCycleMs), 0),
    },
  };
}
