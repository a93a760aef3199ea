// Render stage for the fleet-level pages (overview, clusters, nodes, storage, tasks, actions,
// agent, the menu's index pages) and status.json and search.json. These are rewritten every cycle;
// unchanged bytes are not written.
import { buildActionRows, buildClusterAgentRows, buildTaskRows } from './build-activity-model.ts';
import { buildClusterFacts, buildClusterIndexRows, buildGuestRows, buildNodeFacts, buildNodeRows, buildStorageRows, buildSummary, clusterNames } from './build-fleet-model.ts';
import { groupBy } from './group-by.ts';
import { buildLayout, type SiteFrame } from './build-layout-model.ts';
import { buildStatusJson } from './build-status-json.ts';
import { buildNodePressure, buildPollErrors, pollErrorsForStatus } from './build-fidelity-model.ts';
import { TASKS_LIMIT, type SiteData } from './collect-site-data.ts';
import { guestNameMap, taskFilterOptions } from './build-task-filters.ts'; // issue 14 item 6 (pages)
import { CLUSTER_CHARTS } from './build-cluster-series.ts'; // issue 14 item 5 (pages)
import { buildAgentsModel } from './build-agents-model.ts'; // leases (#17) hook
import { RANGES, kib, sig3, mib } from './encode-series.ts';
import { pointSeries, toJson } from './encode-json.ts';
import { fmtDuration, fmtTime } from './format.ts';
import type { Render } from './render.ts';
import { hrefFrom, paths, rootOf } from './site-paths.ts';
import { KEEP } from './publish.ts';
import { createHash } from 'node:crypto';
import { setImmediate as yieldTurn } from 'node:timers/promises';
// health (#15) hook: the model and partials live in agent/health/ and site-templates/partials/health-*.eta
import { EMPTY_HEALTH, backupsPageKey, buildBackupsPage, buildCoverage, buildHealthSection } from '../health/build-health-model.ts';
import { nodeChartData } from './build-chart-page-data.ts'; // charts (#14) hook
import { buildSiteAttention, sharedStorageOnce } from './attention-site.ts'; // attention (#14)
import { searchIndexJson } from './build-search-index.ts'; // attention (#14 item 8)

export type Emit = (path: string, content: string | Buffer | typeof KEEP) => void;

export interface FleetPageOptions {
  lastBuild?: string;
  lastError?: { when: string; message: string } | null;
  /** Whether a node page must be re-rendered now (else KEEP): staggered like guest pages. */
  nodeDue: (path: string, index: number, digest: string) => boolean;
  /**
   * Whether a page whose view model hashes to `digest` must be rendered (else KEEP): pages
   * without live values (cluster, tasks, actions) are re-rendered only when their model changed.
   */
  pageDue?: (path: string, digest: string) => boolean;
}

/**
 * Renders every fleet-level page and status.json through `emit`. Returns the page count. Gives
 * the event loop a turn after every cluster and node page (yieldTurn): at 50,000 guests the whole
 * stage is seconds of work, which must not stop the agent's timers (lease renewals) meanwhile.
 */
export async function renderFleetPages(d: SiteData, frame: SiteFrame, render: Render, emit: Emit, opts: FleetPageOptions): Promise<number> {
  let pages = 0;
  const page = (path: string, template: string, model: object) => {
    emit(path, render(template, model));
    pages++;
  };
  /**
   * A page without live values: rendered only when the digest of `key` (what the page shows;
   * cheaper to hash than its HTML) moved, so `build` runs only then. The event loop gets a turn
   * between the digest and the render (each can take a few hundred ms for a page listing every guest).
   */
  const keyedPage = async (path: string, template: string, key: unknown, build: () => object) => {
    const digest = createHash('sha1').update(template).update(JSON.stringify([{ ...frame, generatedAt: 0 }, key])).digest('base64url');
    const due = !opts.pageDue || opts.pageDue(path, digest);
    if (due) await yieldTurn();
    emit(path, due ? render(template, build()) : KEEP);
    pages++;
  };
  // A page that does not show the generated time (layout.live false): keyed on its model without it.
  const modelPage = (path: string, template: string, title: string, body: object) => {
    const layout = buildLayout(frame, path, title, { live: false });
    return keyedPage(path, template, { layout: { ...layout, generatedAt: 0, generatedIso: '', generatedText: '' }, ...body }, () => ({ layout, ...body }));
  };
  const names = clusterNames(d);
  const known = new Set(d.guests.map((g) => `${names.get(g.cluster_id)}/${g.vmid}`));
  const clusterSet = new Set(d.clusters.map((c) => c.name));
  const guestNames = guestNameMap(d); // issue 14 item 6 (pages)
  const healthRows = d.health ?? EMPTY_HEALTH; // health (#15) hook
  // issue 12 item 3 (fidelity): the poll errors of the last 24 h on the cluster, node and agent pages
  const pollErrorsOf = (filter: { cluster?: string; node?: string }, limit?: number) => buildPollErrors(d.fidelity?.pollErrors ?? [], filter, limit);
  // Guests per cluster, grouped once (not one scan of the fleet per cluster: 250 × 50,000).
  const guestsByCluster = groupBy(d.guests, (g) => g.cluster_id);

  await yieldTurn();
  let h = hrefFrom(paths.overview);
  page(paths.overview, 'overview', {
    layout: buildLayout(frame, paths.overview, 'Overview'),
    attention: buildSiteAttention(d, frame, rootOf(paths.overview)), // attention (#14 item 1)
    summary: buildSummary(d, h),
    nodes: buildNodeRows(d, h),
    guestCount: d.guests.length, // engine (#13): the table of every guest is on guests.html
    storage: sharedStorageOnce(buildStorageRows(d, h)), // attention (#14 item 8): shared storage once
    showCluster: d.clusters.length > 1, // read by the nodes table (an include sees the page's model)
  });

  for (const c of d.clusters) {
    await yieldTurn();
    const path = paths.cluster(c.name);
    const inCluster = guestsByCluster.get(c.id) ?? [];
    const ch = hrefFrom(path);
    // The key leaves out the live values (a 5,000-row page must not be rebuilt every cycle for
    // them); a guest row's changed_at moves whenever the store changes the row.
    const nodesFull = buildNodeRows({ ...d, guests: inCluster }, ch, (n) => n.cluster_id === c.id);
    const nodes = nodesFull.map(({ cpu: _c, mem: _m, disk: _d, load: _l, uptime: _u, ...row }) => row);
    const storage = buildStorageRows(d, ch, (s) => s.cluster_id === c.id);
    const tasks = buildTaskRows(d.tasks.filter((t) => t.cluster_id === c.id).slice(0, 50), names, known, ch, frame.generatedAt, guestNames); // issue 14 item 6 (pages): names
    let guestKey = '';
    for (const g of inCluster) guestKey += `${g.vmid}:${g.changed_at};`;
    const facts = buildClusterFacts(c);
    const health = buildHealthSection(healthRows, c.name); // health (#15) hook
    const pollErrors = pollErrorsOf({ cluster: c.name });
    await keyedPage(path, 'cluster', [c.name, facts, nodes, storage, tasks, guestKey, health, pollErrors], () => ({
      health, // health (#15) hook
      pollErrors,
      // issue 14 item 5 (pages): cluster charts (files from cluster-series-files.ts) and every node column
      layout: buildLayout(frame, path, c.name, { crumbs: [[paths.overview, 'Overview']], live: false, pageData: clusterPageData(c.name, rootOf(path)) }),
      charts: CLUSTER_CHARTS.map((x) => ({ id: x.id, title: x.title, alt: `${x.title}: see the nodes table for current values` })),
      ranges: RANGES.map((r) => r.id),
      nodes: nodesFull,
      name: c.name,
      facts,
      guests: buildGuestRows({ ...d, guests: inCluster }, ch),
      storage,
      tasks,
    }));
  }

  // Guests and storages per node, grouped once (not one scan of the fleet per node).
  const nodeRawByKey = byNode(d.nodeRaw);
  const guestsByNode = byNode(d.guests);
  const storagesByNode = byNode(d.storages);
  const tasksByNode = byNode(d.tasks); // newest first, as collected
  for (const [index, n] of d.nodes.entries()) {
    await yieldTurn();
    const c = names.get(n.cluster_id) ?? '?';
    const path = paths.node(c, n.node);
    h = hrefFrom(path);
    const root = rootOf(path);
    const key = `${n.cluster_id}/${n.node}`;
    emit(paths.nodeData(c, n.node), nodeJson(c, n.node, n.status, nodeRawByKey.get(key) ?? []));
    const onNode = guestsByNode.get(key) ?? [];
    // A guest row's changed_at moves whenever the store changes the row: it stands for the row.
    // the page names its tier files: a page of a release that had them elsewhere is rendered again
    const hash = createHash('sha1').update(paths.nodeSeries(c, n.node, 'day')).update(n.status);
    for (const g of onNode) hash.update(`;${g.vmid}:${g.changed_at}`);
    const health = buildHealthSection(healthRows, c, n.node); // health (#15) hook
    hash.update(JSON.stringify(health)); // health (#15) hook
    // issue 12 items 2, 3 (fidelity): the node's poll errors and latest pressure/ARC
    const pollErrors = pollErrorsOf({ cluster: c, node: n.node });
    const pressure = buildNodePressure(d.fidelity?.nodePressure.get(key));
    hash.update(JSON.stringify([pollErrors.rows, pressure]));
    const digest = hash.update(JSON.stringify((storagesByNode.get(key) ?? []).map((s) => [s.storage, s.status, s.total]))).digest('base64url');
    if (!opts.nodeDue(path, index, digest)) {
      emit(path, KEEP);
      pages++;
      continue;
    }
    const facts = buildNodeFacts(n);
    page(path, 'node', {
      layout: buildLayout(frame, path, n.node, {
        crumbs: [[paths.overview, 'Overview'], [paths.cluster(c), c]],
        live: false,
        pageData: {
          kind: 'node',
          files: { raw: root + paths.nodeData(c, n.node), day: root + paths.nodeSeries(c, n.node, 'day'), long: root + paths.nodeSeries(c, n.node, 'long') },
          charts: NODE_CHARTS,
          ...nodeChartData(c, n, tasksByNode.get(key) ?? [], root, frame.nodeNetworkSeconds), // charts (#14) hook
        },
      }),
      name: n.node,
      status: n.status,
      health, // health (#15) hook
      cluster: c,
      clusterHref: h(paths.cluster(c)),
      facts,
      asOf: fmtTime(n.last_seen), // charts (#14) hook: the facts' time without JavaScript
      pollErrors,
      pressure,
      charts: NODE_CHARTS.map((x) => ({ ...x, alt: nodeAlt(x.id, facts) })),
      ranges: RANGES.map((r) => r.id),
      // The node's guests, grouped above: filtering the fleet per node was 2 million calls at 200 nodes.
      guests: buildGuestRows({ ...d, guests: onNode }, h),
      storage: buildStorageRows(d, h, (s) => s.cluster_id === n.cluster_id && s.node === n.node),
      tasks: buildTaskRows((tasksByNode.get(key) ?? []).slice(0, 50), names, known, h, frame.generatedAt, guestNames), // issue 14 item 6 (pages): names
    });
  }
  await yieldTurn();

  h = hrefFrom(paths.storage);
  const storageKeys = d.storages.map((s) => `${names.get(s.cluster_id)}:${s.node}/${s.storage}`);
  page(paths.storage, 'storage', {
    layout: buildLayout(frame, paths.storage, 'Storage', {
      pageData: { kind: 'storage', files: { day: paths.storageSeries }, keys: storageKeys, ranges: [{ id: '24h', seconds: 86_400, sources: ['day'] }], charts: [{ id: 'fill', title: 'Storage fill', unit: 'pct', metrics: [{ key: 'pct', name: 'fill' }] }] },
    }),
    storage: sharedStorageOnce(buildStorageRows(d, h)), // attention (#14 item 8): shared storage once
    charts: [{ id: 'fill', title: 'Storage fill (24 h, one line per storage)', alt: `${d.storages.length} storages; current fill in the table above` }],
    ranges: ['24h'],
  });

  // issue 14 item 6 (pages): 7 days of tasks with filters, guest names; actions with details
  await yieldTurn();
  h = hrefFrom(paths.tasks);
  const taskRows = buildTaskRows(d.tasks, names, known, h, frame.generatedAt, guestNames);
  await modelPage(paths.tasks, 'tasks', 'Tasks', {
    tasks: taskRows,
    filters: taskFilterOptions(taskRows),
    windowText: '7 days',
    limit: TASKS_LIMIT,
    pagesAsset: h(frame.assets.pages),
  });

  await yieldTurn();
  h = hrefFrom(paths.actions);
  const actionDetails = { guestNames, now: frame.generatedAt };
  await modelPage(paths.actions, 'actions', 'Actions', {
    queue: buildActionRows(d.actions.filter((a) => a.outcome === null), known, clusterSet, h, actionDetails),
    history: buildActionRows(d.actions.filter((a) => a.outcome !== null), known, clusterSet, h, actionDetails),
    windowText: '7 days',
  });

  // health (#15) hook: the Backups page
  await yieldTurn();
  const bh = hrefFrom(paths.backups);
  const showCluster = d.clusters.length > 1; // keyed on its inputs (backupsPageKey), not its model: built only when they moved
  await keyedPage(paths.backups, 'backups', [backupsPageKey(healthRows, frame.generatedAt), showCluster], () => ({
    layout: buildLayout(frame, paths.backups, 'Backups', { live: false }), backups: buildBackupsPage(healthRows, (cl, vmid) => bh(paths.guest(cl, vmid)), frame.generatedAt), showCluster,
  }));

  await yieldTurn();
  pages += await renderIndexPages(d, frame, render, emit, opts); // attention (#14 item 8): Clusters, Nodes, Guests, search.json
  await yieldTurn();

  h = hrefFrom(paths.agent);
  page(paths.agent, 'agent', {
    layout: buildLayout(frame, paths.agent, 'Agent status'),
    site: [
      { label: 'This build started', text: fmtTime(frame.generatedAt) },
      { label: 'Previous build', text: opts.lastBuild ?? 'none yet' },
      { label: 'Poll interval', text: fmtDuration(frame.pollIntervalSeconds) },
    ],
    lastBuildError: opts.lastError ?? null,
    clusters: buildClusterAgentRows(d.clusters, d.pollRuns, h),
    windowText: '24 h',
    coverage: buildCoverage(healthRows), // health (#15) hook
    pollErrors: pollErrorsOf({}, 200),
    fleet: d.agents ? buildAgentsModel(d.agents, frame.generatedAt * 1000) : null, // leases (#17) hook
  });

  await yieldTurn();
  emit(paths.status, buildStatusJson(d, frame.generatedAt, frame.pollIntervalSeconds, frame.staleAfterIntervals * frame.pollIntervalSeconds, d.pollRuns, d.fidelity && pollErrorsForStatus(d.fidelity.pollErrors), { health: healthRows, alerts: d.alerts }));
  return pages;
}

/** issue 14 item 5 (pages): what the chart code needs on a cluster page. */
function clusterPageData(c: string, root: string) {
  return { kind: 'cluster', files: { raw: root + paths.clusterData(c), day: root + paths.clusterSeries(c, 'day'), long: root + paths.clusterSeries(c, 'long') }, charts: CLUSTER_CHARTS };
}

export const NODE_CHARTS = [
  { id: 'cpu', title: 'CPU', unit: 'pct', metrics: [{ key: 'cpu', name: 'CPU' }, { key: 'io', name: 'IO wait' }] },
  { id: 'load', title: 'Load', unit: 'load', metrics: [{ key: 'load', name: 'load 1 min' }] },
  { id: 'mem', title: 'Memory', unit: 'mib', metrics: [{ key: 'mem', name: 'used' }, { key: 'avail', name: 'used (excl. cache)' }] },
  { id: 'net', title: 'Network', unit: 'rate', metrics: [{ key: 'ni', name: 'in' }, { key: 'no', name: 'out' }] },
];

function nodeAlt(id: string, f: ReturnType<typeof buildNodeFacts>): string {
  const pick = (label: string) => f.find((x) => x.label === label)?.text ?? '–';
  switch (id) {
    case 'cpu': return `CPU now ${pick('CPU')}, IO wait ${pick('IO wait')}`;
    case 'load': return `Load now ${pick('Load (1 min)')}`;
    case 'mem': return `Memory now ${pick('Memory used')}; excluding cache ${pick('Memory used (excl. cache)')}`;
    default: return `Network now ${pick('Network in / out')}`;
  }
}

/** Node JSON: state plus the raw series of the last ~90 min (grouped to ≤ 600 points). */
function nodeJson(cluster: string, node: string, status: string, raw: SiteData['nodeRaw']): string {
  const pts = raw.map((s) => ({
    ts: s.ts,
    v: [s.cpu, s.iowait, s.load1, s.mem_used, s.mem_total != null && s.mem_available != null ? s.mem_total - s.mem_available : null, s.netin_bps, s.netout_bps],
  }));
  return toJson({ v: 1, cluster, node, status, raw: pointSeries(pts, NODE_RAW_METRICS) });
}
const pct = (x: number | null) => sig3(x === null ? null : x * 100);
const NODE_RAW_METRICS = [['cpu', pct], ['io', pct], ['load', sig3], ['mem', mib], ['avail', mib], ['ni', kib], ['no', kib]] as const;

const byNode = <T extends { cluster_id: number; node: string }>(rows: T[]) => groupBy(rows, (r) => `${r.cluster_id}/${r.node}`);

/**
 * Renders clusters.html, nodes.html, guests.html and search.json; returns the page count. The
 * event loop gets a turn between them (yieldTurn): at 50,000 guests each is a few hundred ms.
 */
export async function renderIndexPages(d: SiteData, frame: SiteFrame, render: Render, emit: Emit, opts: Pick<FleetPageOptions, 'pageDue'>): Promise<number> {
  let h = hrefFrom(paths.clustersIndex);
  emit(paths.clustersIndex, render('clusters-index', { layout: buildLayout(frame, paths.clustersIndex, 'Clusters'), clusters: buildClusterIndexRows(d, h) }));

  await yieldTurn();
  h = hrefFrom(paths.nodesIndex);
  emit(paths.nodesIndex, render('nodes-index', { layout: buildLayout(frame, paths.nodesIndex, 'Nodes'), nodes: buildNodeRows(d, h) }));

  // engine (#13): the one table of every guest (the overview only links here). Its live columns
  // are rendered empty and filled from status.json by site.js, so the page changes only with the
  // inventory and is re-rendered only then (2.7 MB of HTML at 10,000 guests); search.json likewise.
  await yieldTurn();
  h = hrefFrom(paths.guestsIndex);
  const digest = inventoryDigest(d, frame);
  const due = (path: string) => !opts.pageDue || opts.pageDue(path, digest);
  if (!due(paths.guestsIndex)) emit(paths.guestsIndex, KEEP);
  else {
    await yieldTurn();
    const guests = buildGuestRows(d, h);
    await yieldTurn();
    emit(paths.guestsIndex, render('guests-index', {
      layout: buildLayout(frame, paths.guestsIndex, 'Guests', { live: false }),
      guests,
      showCluster: d.clusters.length > 1,
    }));
  }

  await yieldTurn();
  emit(paths.searchIndex, due(paths.searchIndex) ? searchIndexJson(d) : KEEP);
  return 3;
}

/** What guests.html and search.json show: the inventory (a guest row's changed_at moves whenever the store changes the row). */
function inventoryDigest(d: Pick<SiteData, 'clusters' | 'nodes' | 'guests'>, frame: SiteFrame): string {
  const names = clusterNames(d);
  const hash = createHash('sha1').update(JSON.stringify([{ ...frame, generatedAt: 0 }, d.clusters.map((c) => [c.id, c.name, c.pve_name]), d.nodes.map((n) => [n.cluster_id, n.node])]));
  for (const g of d.guests) hash.update(`${names.get(g.cluster_id)}/${g.vmid}:${g.changed_at};`);
  return hash.digest('base64url');
}
