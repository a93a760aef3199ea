import { describe, expect, it } from 'vitest';
import { buildAlertFeeds } from '../../agent/alerts/site/alerts-feed.model.ts';
import { renderAlertsFeed } from '../../agent/alerts/site/render-alerts-feed.ts';
import type { TransitionRow } from '../../agent/store/alerts.repository.ts';

const row = (id: number, cluster: string, to: string, summary = 'Node pve2 of lab is offline'): TransitionRow => ({
  id, ts: 1_796_000_000 + id * 60, rule: 'node-offline', labels: JSON.stringify({ cluster, node: 'pve2' }), fromState: 'pending', toState: to,
  severity: 'critical', summary, muted: null, silenced: id === 3 ? 'sil-1' : null,
});

describe('alerts Atom feeds', () => {
  const rows = [row(3, 'lab', 'resolved'), row(2, 'prod', 'firing'), row(1, 'lab', 'firing', 'VM <script>alert(1)</script> & "x"')];
  const feeds = buildAlertFeeds(rows, ['lab', 'prod', 'empty'], 'PMI');

  it('one global feed and one per cluster; updated is the newest entry (stable while nothing happens)', () => {
    expect(feeds.map((f) => [f.path, f.entries.length])).toEqual([['alerts.atom', 3], ['alerts/lab.atom', 2], ['alerts/prod.atom', 1], ['alerts/empty.atom', 0]]);
    expect(feeds[0]!.updated).toBe(new Date((1_796_000_000 + 180) * 1000).toISOString());
    expect(feeds[3]!.updated).toBe('1970-01-01T00:00:00.000Z');
    expect(renderAlertsFeed(feeds[0]!)).toBe(renderAlertsFeed(buildAlertFeeds(rows, ['lab', 'prod', 'empty'], 'PMI')[0]!));
  });

  it('renders Atom with every untrusted text escaped', () => {
    const xml = renderAlertsFeed(feeds[1]!);
    expect(xml).toMatch(/^<\?xml version="1.0" encoding="utf-8"\?>\n<feed xmlns="http:\/\/www.w3.org\/2005\/Atom">/);
    expect(xml).toContain('<id>urn:pmi-dashboard:alerts:lab</id>');
    expect(xml).toContain('<title>[RESOLVED] critical: Node pve2 of lab is offline</title>');
    expect(xml).toContain('silenced: sil-1');
    expect(xml).toContain('VM &lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;x&quot;');
    expect(xml).not.toContain('<script>');
    expect(xml.match(/<entry>/g)).toHaveLength(2);
  });
});
