// A cluster snapshot mapped from the handwritten PVE fixtures, as the poller would build it:
// shared by the metrics unit tests.
import { readFileSync } from 'node:fs';
import { ClusterStatusItem, NodeStatusSchema, ResourceItem, parseItems } from '../../agent/pve/pve-schemas.ts';
import { mapClusterStatus } from '../../agent/poll/map-cluster-status.ts';
import { mapResources } from '../../agent/poll/map-resources.ts';
import { mapNodeState } from '../../agent/poll/map-node-status.ts';
import type { ClusterSnapshot } from '../../agent/poll/cluster-snapshot.ts';

const fx = (name: string): unknown => (JSON.parse(readFileSync(new URL(`../fixtures/pve/handwritten/${name}`, import.meta.url), 'utf8')) as { data: unknown }).data;

/** The snapshot the poller would build from the handwritten responses (pve1's status from PVE 9). */
export function fixtureSnapshot(cluster = 'lab'): ClusterSnapshot {
  const m = mapClusterStatus(parseItems(ClusterStatusItem, fx('cluster-status.json')).items);
  const r = mapResources(parseItems(ResourceItem, fx('cluster-resources.json')).items);
  const st = NodeStatusSchema.parse(fx('node-status-pve9.json'));
  const names = [...new Set([...m.members.map((x) => x.node), ...r.nodes.keys()])].sort();
  return {
    cluster,
    ts: 1_765_000_000,
    endpoint: 'https://10.0.0.1:8006',
    info: { pveName: m.pveName, quorate: m.quorate, nodeCount: m.nodeCount, pveVersion: '9.0.3', pveRelease: '9.0' },
    nodes: names.map((n) => mapNodeState(n, m.members.find((x) => x.node === n), r.nodes.get(n), n === 'pve1' ? st : undefined)),
    guests: r.guests,
    storages: r.storages,
    tasks: [],
  };
}

