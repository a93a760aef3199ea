import { describe, expect, it } from 'vitest';
import { buildAlertsStatus } from '../../agent/alerts/site/alerts-status.model.ts';
import { buildStatusJson } from '../../agent/site/build-status-json.ts';
import { EMPTY_HEALTH } from '../../agent/health/build-health-model.ts';
import type { InstanceRow } from '../../agent/alerts/alert-state.ts';

const inst = (o: Partial<InstanceRow>): InstanceRow => ({
  rule: 'guest-paused', fingerprint: '{"cluster":"a","node":"n1","vmid":"101"}', labels: '{"cluster":"a","node":"n1","vmid":"101"}', state: 'firing', severity: 'warning',
  summary: 'VM 101 is paused', active_since: 900, firing_since: 1000, cleared_at: null, resolved_at: null, muted: null, notified: null, notified_at: null, updated_at: 1000, ...o,
});

describe('status.json → alerts', () => {
  const instances = [
    inst({}),
    inst({ rule: 'node-offline', fingerprint: 'n', labels: '{"cluster":"a","node":"n2"}', severity: 'critical', summary: 'Node n2 of a is offline', firing_since: 800 }),
    inst({ rule: 'guest-stopped-unexpectedly', fingerprint: 'g', labels: '{"cluster":"a","node":"n2","vmid":"102"}', muted: 'node-offline (cluster=a, node=n2)', firing_since: 1100 }),
    inst({ rule: 'storage-full', fingerprint: 's', labels: '{"cluster":"b","node":"n1","storage":"local"}', firing_since: 1200 }),
    inst({ rule: 'backup-overdue', fingerprint: 'p', labels: '{"cluster":"a","vmid":"103"}', state: 'pending', firing_since: null }),
    inst({ rule: 'task-failed', fingerprint: 'r', labels: '{"cluster":"a","node":"n1","upid":"U"}', state: 'resolved', resolved_at: 1300 }),
  ];
  const active = [{ id: 'sil-b', matchers: [{ label: 'cluster', op: '=' as const, value: 'b' }], endsAt: 5000, reason: 'maintenance', createdBy: 'alice' }];

  it('counts firing and pending, muted and silenced among them; lists every firing alert, critical first, with why', () => {
    const s = buildAlertsStatus({ instances, active });
    expect(s.counts).toEqual({ firing: 4, pending: 1, muted: 1, silenced: 1 });
    expect(s.firing.map((f) => [f.rule, f.since, f.muted, f.silenced])).toEqual([
      ['node-offline', 800, null, null],
      ['storage-full', 1200, null, 'sil-b'],
      ['guest-stopped-unexpectedly', 1100, 'node-offline (cluster=a, node=n2)', null],
      ['guest-paused', 1000, null, null],
    ]);
    expect(s.firing[0]).toEqual({ rule: 'node-offline', severity: 'critical', summary: 'Node n2 of a is offline', labels: { cluster: 'a', node: 'n2' }, since: 800, muted: null, silenced: null });
    expect(s.page).toBe('alerts.html');
  });

  it('is the last member of status.json, after health; absent without a status', () => {
    const fleet = { clusters: [], nodes: [], guests: [], storages: [], now: new Map(), failedTasks24h: 0, failedActions24h: 0, nearFullRatio: 0.85 };
    const out = JSON.parse(buildStatusJson(fleet, 0, 60, 180, [], undefined, { health: EMPTY_HEALTH, alerts: buildAlertsStatus({ instances: [], active: [] }) })) as Record<string, unknown>;
    expect(Object.keys(out).slice(-3)).toEqual(['guests', 'health', 'alerts']);
    expect(out.alerts).toEqual({ counts: { firing: 0, pending: 0, muted: 0, silenced: 0 }, firing: [], page: 'alerts.html' });
    expect(Object.keys(JSON.parse(buildStatusJson(fleet, 0, 60, 180, [], undefined, { health: EMPTY_HEALTH })) as object)).not.toContain('alerts');
  });
});
