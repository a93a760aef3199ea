// The index pages of the menu (issue #14 item 8): Clusters, Nodes, Guests, and search.json for the
// fleet-wide search. Hooked into renderFleetPages with one marked line.
import { createHash } from 'node:crypto';
import { buildGuestRows, buildNodeRows, clusterNames, countFleet, quorumText, type Href } from './build-fleet-model.ts';
import { buildLayout, type SiteFrame } from './build-layout-model.ts';
import { searchIndexJson } from './build-search-index.ts';
import type { SiteData } from './collect-site-data.ts';
import { fmtTime } from './format.ts';
import { groupBy } from './group-by.ts';
import { KEEP } from './publish.ts';
import type { Render } from './render.ts';
import type { Emit, FleetPageOptions } from './render-fleet-pages.ts';
import { hrefFrom, paths } from './site-paths.ts';
import { setImmediate as yieldTurn } from 'node:timers/promises';

/** Pure: one row per cluster with its quorum, node and guest counts and poll state. */
export function buildClusterIndexRows(d: Pick<SiteData, 'clusters' | 'nodes' | 'guests'>, href: Href) {
  const nodesBy = groupBy(d.nodes, (n) => n.cluster_id);
  const guestsBy = groupBy(d.guests, (g) => g.cluster_id);
  return d.clusters.map((c) => {
    const k = countFleet({ nodes: nodesBy.get(c.id) ?? [], guests: guestsBy.get(c.id) ?? [] });
    const nodes = k.nodesOnline + k.nodesOffline;
    const guests = k.guestsRunning + k.guestsStopped + k.guestsOther;
    return {
      name: c.name,
      href: href(paths.cluster(c.name)),
      quorum: quorumText(c),
      ok: c.last_error === null && c.quorate !== 0 && k.nodesOffline === 0,
      nodes: { text: `${k.nodesOnline} / ${nodes} online`, v: nodes },
      guests: { text: `${k.guestsRunning} / ${guests} running`, v: guests },
      version: c.pve_version ?? '–',
      lastOk: fmtTime(c.last_ok_at),
      lastError: c.last_error ?? '',
    };
  });
}

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
