// Pure: the frame every page shares (title, navigation, assets, generated time, stale threshold).
import { fmtDuration, fmtTime, isoTime } from './format.ts';
import { jsonForScript } from './render.ts';
import type { AssetNames } from './site-assets.ts';
import { paths, rootOf } from './site-paths.ts';

export interface SiteFrame {
  siteTitle: string;
  generatedAt: number;
  pollIntervalSeconds: number;
  staleAfterIntervals: number;
  assets: AssetNames;
  /** How often a node's network is read (config health.every.nodeNetwork), for the node pages' empty network chart. */
  nodeNetworkSeconds?: number;
  /** attention (#14): config site.attention (absent: its defaults). */
  attention?: { storageWarnPct: number; storageCritPct: number };
}

// attention (#14 item 8): every kind of page in the menu, the Alerts page (#16) included
const NAV = [
  { href: paths.overview, text: 'Overview' },
  { href: paths.clustersIndex, text: 'Clusters' },
  { href: paths.nodesIndex, text: 'Nodes' },
  { href: paths.guestsIndex, text: 'Guests' },
  { href: paths.storage, text: 'Storage' },
  { href: paths.tasks, text: 'Tasks' },
  { href: paths.backups, text: 'Backups' }, // health (#15) hook
  { href: paths.actions, text: 'Actions' },
  { href: 'alerts.html', text: 'Alerts' }, // alerts (#16): ALERTS_PAGE
  { href: paths.agent, text: 'Agent' },
];

/** The layout model of the page at `path` (crumbs are [path, text] pairs from the root). */
export function buildLayout(frame: SiteFrame, path: string, title: string, opts: { crumbs?: Array<[string, string]>; pageData?: unknown; live?: boolean } = {}) {
  const root = rootOf(path);
  const stale = frame.staleAfterIntervals * frame.pollIntervalSeconds;
  return {
    siteTitle: frame.siteTitle,
    title,
    root,
    nav: NAV.map((n) => ({ href: n.href, text: n.text, current: n.href === path })),
    crumbs: (opts.crumbs ?? []).map(([p, text]) => ({ href: root + p, text })),
    generatedAt: frame.generatedAt,
    generatedIso: isoTime(frame.generatedAt),
    generatedText: fmtTime(frame.generatedAt),
    staleAfterSeconds: stale,
    staleAfterText: fmtDuration(stale),
    refreshSeconds: frame.pollIntervalSeconds,
    assets: frame.assets,
    charts: opts.pageData !== undefined,
    pageData: opts.pageData === undefined ? null : jsonForScript(opts.pageData),
    // Rewritten every cycle (carries the generated time); slow pages learn freshness from status.json.
    live: opts.live ?? true,
    // attention (#14): the usage bars' thresholds (percent), for bars redrawn by the browser
    usageWarnPct: frame.attention?.storageWarnPct ?? 85,
    usageCritPct: frame.attention?.storageCritPct ?? 95,
  };
}
