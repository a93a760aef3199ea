// Pure (issue 14 item 6): the choices of the tasks page's filters (status, type, node), taken
// from the rows the page lists, and the guest names shown next to vmids.
import type { TaskRowVM } from './build-activity-model.ts';
import type { GuestNames } from './build-activity-details.ts';
import { clusterNames, type Fleet } from './build-fleet-model.ts';

const STATE_ORDER = ['failed', 'running', 'ok', 'unknown'];

/** The states and types the rows have, and their nodes as "cluster/node" values with a label. */
export function taskFilterOptions(rows: TaskRowVM[]) {
  const states = new Set<string>();
  const types = new Set<string>();
  const nodes = new Map<string, string>();
  const clusters = new Set(rows.map((r) => r.cluster));
  for (const r of rows) {
    states.add(r.state);
    types.add(r.type);
    nodes.set(`${r.cluster}/${r.node}`, clusters.size > 1 ? `${r.node} (${r.cluster})` : r.node);
  }
  return {
    states: STATE_ORDER.filter((s) => states.has(s)),
    types: [...types].sort(),
    nodes: [...nodes].sort((a, b) => a[1].localeCompare(b[1])).map(([value, text]) => ({ value, text })),
  };
}

/** Key `${cluster}/${vmid}` → name, for the guests still in the inventory. */
export function guestNameMap(f: Pick<Fleet, 'clusters' | 'guests'>): GuestNames {
  const names = clusterNames(f);
  const out: GuestNames = new Map();
  for (const g of f.guests) if (g.name) out.set(`${names.get(g.cluster_id)}/${g.vmid}`, g.name);
  return out;
}
