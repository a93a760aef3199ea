// The Atom feeds of alerts (alerts.atom for the fleet, alerts/<cluster>.atom per cluster), pure:
// transitions in, one feed model per file out. `updated` is the newest entry's time, so a feed's
// bytes only change when an alert did (the publisher skips unchanged files).
import type { TransitionRow } from '../../store/alerts.repository.ts';

export interface FeedEntry { id: string; title: string; updated: string; content: string; category: string }
export interface FeedModel { path: string; id: string; title: string; updated: string; entries: FeedEntry[] }

const iso = (s: number) => new Date(s * 1000).toISOString();

/** One global feed and one per cluster (every configured cluster gets a file, possibly empty). */
export function buildAlertFeeds(rows: readonly TransitionRow[], clusters: readonly string[], siteTitle: string, perFeed = 50): FeedModel[] {
  const entry = (r: TransitionRow): FeedEntry => {
    const labels = JSON.parse(r.labels) as Record<string, string>;
    const what = r.toState === 'firing' ? 'FIRING' : 'RESOLVED';
    const notes = [r.muted ? `muted: ${r.muted}` : '', r.silenced ? `silenced: ${r.silenced}` : ''].filter(Boolean).join('; ');
    return {
      id: `urn:pmi-dashboard:alert-transition:${r.id}`,
      title: `[${what}] ${r.severity}: ${r.summary}`,
      updated: iso(r.ts),
      content: `${r.rule} ${r.toState} at ${iso(r.ts)}\n${Object.entries(labels).map(([k, v]) => `${k}=${v}`).join(', ')}${notes ? `\n${notes}` : ''}`,
      category: r.rule,
    };
  };
  const feed = (path: string, id: string, title: string, rs: readonly TransitionRow[]): FeedModel => {
    const entries = rs.slice(0, perFeed).map(entry);
    return { path, id, title, updated: entries[0]?.updated ?? '1970-01-01T00:00:00.000Z', entries };
  };
  const byCluster = (c: string) => rows.filter((r) => (JSON.parse(r.labels) as Record<string, string>).cluster === c);
  return [
    feed('alerts.atom', 'urn:pmi-dashboard:alerts', `${siteTitle}: alerts`, rows),
    ...clusters.map((c) => feed(`alerts/${c}.atom`, `urn:pmi-dashboard:alerts:${c}`, `${siteTitle}: alerts of ${c}`, byCluster(c))),
  ];
}
