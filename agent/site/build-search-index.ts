// Pure: inventory → search.json, the static index the fleet-wide search box reads (issue #14
// item 8). One row per guest, node and cluster: [kind, label, detail, root-relative href, haystack]
// with the haystack lowercased (name, vmid, tags, node, cluster), so the browser only tests substrings.
import { clusterNames, splitTags, type Fleet } from './build-fleet-model.ts';
import { paths } from './site-paths.ts';
import { toJson } from './encode-json.ts';

export type SearchRow = [kind: 'guest' | 'node' | 'cluster', label: string, detail: string, href: string, haystack: string];

export function buildSearchIndex(f: Pick<Fleet, 'clusters' | 'nodes' | 'guests'>): SearchRow[] {
  const names = clusterNames(f);
  const rows: SearchRow[] = [];
  for (const g of f.guests) {
    const c = names.get(g.cluster_id) ?? '?';
    const name = g.name ?? `vm ${g.vmid}`;
    const tags = splitTags(g.tags);
    const detail = `${g.vmid} on ${c}/${g.node}${g.template === 1 ? ', template' : ''}${tags.length ? ` [${tags.join(', ')}]` : ''}`;
    rows.push(['guest', name, detail, paths.guest(c, g.vmid), [name, g.vmid, ...tags, g.node, c].join(' ').toLowerCase()]);
  }
  for (const n of f.nodes) {
    const c = names.get(n.cluster_id) ?? '?';
    rows.push(['node', n.node, `node of ${c}`, paths.node(c, n.node), [n.node, c].join(' ').toLowerCase()]);
  }
  for (const c of f.clusters) rows.push(['cluster', c.name, 'cluster', paths.cluster(c.name), [c.name, c.pve_name ?? ''].join(' ').trim().toLowerCase()]);
  return rows;
}

/** search.json's text (documented in site-templates/DATA-FORMAT.md). */
export function searchIndexJson(f: Pick<Fleet, 'clusters' | 'nodes' | 'guests'>): string {
  return toJson({ v: 1, fields: ['kind', 'label', 'detail', 'href', 'haystack'], items: buildSearchIndex(f) });
}
