import { describe, expect, it } from 'vitest';
import { buildAlertsPageModel } from '../../agent/alerts/site/alerts-page.model.ts';
import { createRenderer } from '../../agent/site/render.ts';
import type { InstanceRow } from '../../agent/alerts/alert-state.ts';

const NOW = 1_796_000_000;
const inst = (over: Partial<InstanceRow>): InstanceRow => ({
  rule: 'guest-paused', fingerprint: 'f', labels: '{"cluster":"lab","node":"pve1","vmid":"101"}', state: 'firing', severity: 'warning', summary: 'VM 101 (<b>web</b>) is paused',
  active_since: NOW - 900, firing_since: NOW - 600, cleared_at: null, resolved_at: null, muted: null, notified: null, notified_at: null, updated_at: NOW - 600, ...over,
});

describe('Alerts page model', () => {
  const model = buildAlertsPageModel({
    now: NOW,
    instances: [
      inst({}),
      inst({ rule: 'node-offline', severity: 'critical', labels: '{"cluster":"lab","node":"pve2"}', summary: 'Node pve2 offline', firing_since: NOW - 3600 }),
      inst({ rule: 'guest-stopped-unexpectedly', labels: '{"cluster":"lab","node":"pve2","vmid":"102"}', muted: 'node-offline (cluster=lab, node=pve2)' }),
      inst({ rule: 'storage-full', state: 'pending', labels: '{"cluster":"lab","node":"","storage":"ceph"}', firing_since: null }),
      inst({ rule: 'task-failed', labels: '{"cluster":"prod","node":"pve9","upid":"U"}' }),
      inst({ rule: 'guest-paused', state: 'resolved', resolved_at: NOW - 10 }),
    ],
    silences: [{ id: 'sil-1', matchers: [{ label: 'cluster', op: '=', value: 'prod' }], startsAt: NOW - 60, endsAt: NOW + 3600, reason: 'upgrade', createdBy: 'alice', createdAt: NOW - 60, endedAt: null, endedBy: null }],
    active: [{ id: 'sil-1', matchers: [{ label: 'cluster', op: '=', value: 'prod' }], endsAt: NOW + 3600, reason: 'upgrade', createdBy: 'alice' }],
    history: [{ id: 9, ts: NOW - 3600, rule: 'node-offline', labels: '{"cluster":"lab","node":"pve2"}', fromState: 'pending', toState: 'firing', severity: 'critical', summary: 'Node pve2 offline', muted: null, silenced: null, durationS: null },
      { id: 8, ts: NOW - 3720, rule: 'node-offline', labels: '{"cluster":"lab","node":"pve2"}', fromState: 'inactive', toState: 'pending', severity: 'critical', summary: 'Node pve2 offline', muted: null, silenced: null, durationS: 120 }],
  });

  it('sorts instances into firing (critical first), pending, muted with why, silenced with which silence', () => {
    expect(model.counts).toEqual({ firing: 2, pending: 1, muted: 1, silenced: 1 });
    expect(model.firing.map((r) => [r.rule, r.forText])).toEqual([['node-offline', '1h'], ['guest-paused', '10m']]);
    expect(model.muted[0]!.note).toBe('muted: node-offline (cluster=lab, node=pve2)');
    expect(model.silenced[0]!.note).toMatch(/^silenced by sil-1 until .*: upgrade$/);
    expect(model.silences[0]).toMatchObject({ id: 'sil-1', matchers: 'cluster="prod"', state: 'active', by: 'alice' });
    expect(model.history.map((h) => [h.transition, h.lasted])).toEqual([['pending → firing', 'current'], ['inactive → pending', '2m']]);
  });

  it('renders with the site templates, escaping Proxmox text', () => {
    const frame = { siteTitle: 'PMI', generatedAt: NOW, pollIntervalSeconds: 60, staleAfterIntervals: 3, assets: { css: 'assets/site.css', js: 'assets/site.js', theme: 'assets/theme.js', apexcharts: 'assets/apexcharts.js' } };
    const layout = { siteTitle: 'PMI', title: 'Alerts', root: '', nav: [], crumbs: [], generatedAt: NOW, generatedIso: '', generatedText: '', staleAfterSeconds: 180, staleAfterText: '3m', refreshSeconds: 60, assets: frame.assets, charts: false, pageData: null, live: false };
    const html = createRenderer()('alerts', { layout, ...model });
    expect(html).toContain('<h1>Alerts</h1>');
    expect(html).toContain('2 firing, 1 pending, 1 muted, 1 silenced');
    expect(html).toContain('VM 101 (&lt;b&gt;web&lt;/b&gt;) is paused');
    expect(html).not.toContain('<b>web</b>');
  });
});
