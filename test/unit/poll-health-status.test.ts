import { describe, expect, it } from 'vitest';
import { healthStatus } from '../../agent/poll/health-status.ts';
import type { PollResult } from '../../agent/poll/poll-cycle.ts';

const base = { durationMs: 120, requests: 6, errors: 0, endpoint: 'https://a:8006', startedAt: Date.UTC(2026, 0, 1), warnings: [] };

describe('healthStatus', () => {
  it('reports per cluster state, totals, and ok only when nothing failed', () => {
    const results: PollResult[] = [
      { ...base, cluster: 'a', ok: true },
      { ...base, cluster: 'b', ok: true, duplicateOf: 'a', requests: 0 },
      { ...base, cluster: 'c', ok: false, error: { code: 'PVE_AUTH', message: 'authentication failed at https://c:8006: 401 Authentication failed!' }, errors: 1, requests: 1, durationMs: 3010 },
    ];
    const h = healthStatus(results, Date.UTC(2026, 0, 1, 0, 0, 5));
    expect(h.ok).toBe(false);
    expect(h.generatedAt).toBe('2026-01-01T00:00:05.000Z');
    expect(h.clusters.map((c) => [c.cluster, c.state, c.endpoint])).toEqual([['a', 'ok', 'https://a:8006'], ['b', 'duplicate', 'https://a:8006'], ['c', 'failed', 'https://a:8006']]);
    expect(h.clusters[2]!.error?.code).toBe('PVE_AUTH');
    expect(h.totals).toEqual({ clusters: 3, failed: 1, requests: 7, errors: 1, cycleMs: 3010 });
    expect(JSON.parse(JSON.stringify(h))).toEqual(h);
  });
});
