// The mappers against the simulator's captured PVE 7/8/9 responses (test/fixtures/pve/CAPTURED.md).
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ClusterStatusItem, MetricItem, NodeStatusSchema, ResourceItem, RrdRow, TaskItem, VersionSchema, parseItems } from '../../agent/pve/pve-schemas.ts';
import { mapClusterStatus } from '../../agent/poll/map-cluster-status.ts';
import { mapResources } from '../../agent/poll/map-resources.ts';
import { mapNodeState } from '../../agent/poll/map-node-status.ts';
import { mapTask } from '../../agent/poll/map-tasks.ts';
import { nodeRowsFromRrd, rowsFromMetrics } from '../../agent/poll/map-backfill.ts';

const dir = (v: number) => new URL(`../fixtures/pve/pve${v}/`, import.meta.url);
const fx = (v: number, name: string): unknown => (JSON.parse(readFileSync(new URL(name, dir(v)), 'utf8')) as { data: unknown }).data;

describe.each([7, 8, 9])('captured PVE %i responses', (v) => {
  it('cluster status, resources, node status and tasks map without a single malformed entry', () => {
    const status = parseItems(ClusterStatusItem, fx(v, 'cluster-status.json'));
    const res = parseItems(ResourceItem, fx(v, 'cluster-resources.json'));
    const tasks = parseItems(TaskItem, fx(v, 'cluster-tasks.json'));
    expect([status.issues, res.issues, tasks.issues]).toEqual([[], [], []]);
    const m = mapClusterStatus(status.items);
    expect(m.pveName).not.toBeNull();
    expect(m.members.length).toBeGreaterThan(0);
    const r = mapResources(res.items);
    expect(r.guests.length).toBeGreaterThan(0);
    expect(r.guests.every((g) => Number.isInteger(g.vmid) && g.node && g.status)).toBe(true);
    expect(r.guests.filter((g) => g.type === 'qemu').every((g) => g.disk === null)).toBe(true);
    expect(r.storages.length).toBeGreaterThan(0);
    const st = NodeStatusSchema.parse(fx(v, 'node-status.json'));
    const first = m.members[0]!;
    const n = mapNodeState(first.node, first, r.nodes.get(first.node), st);
    expect(n).toMatchObject({ status: 'online', load1: expect.any(Number), memTotal: expect.any(Number), kernel: expect.any(String) });
    expect(n.memAvailable === null).toBe(v === 7);
    expect(tasks.items.map(mapTask).every((t) => t && t.starttime > 0)).toBe(true);
    expect(VersionSchema.parse(fx(v, 'version.json')).version).toMatch(v === 7 ? /^7\.\d+-\d+$/ : new RegExp(`^${v}\\.\\d+\\.\\d+$`));
  });

  it('an offline node: status offline, its guests kept, expired entries unknown', () => {
    const m = mapClusterStatus(parseItems(ClusterStatusItem, fx(v, 'cluster-status-node-offline.json')).items);
    expect(m.members.some((x) => !x.online)).toBe(true);
    const r = mapResources(parseItems(ResourceItem, fx(v, 'cluster-resources-node-offline-expired.json')).items);
    expect([...r.nodes.values()].some((x) => x.status === 'offline')).toBe(true);
    expect(r.guests.some((g) => g.status === 'unknown')).toBe(true);
  });

  it('standalone status and rrddata / metrics export map', () => {
    expect(mapClusterStatus(parseItems(ClusterStatusItem, fx(v, 'cluster-status-standalone.json')).items).pveName).toBeNull();
    if (existsSync(new URL('node-rrddata-hour.json', dir(v)))) {
      const rows = parseItems(RrdRow, fx(v, 'node-rrddata-hour.json'));
      expect(rows.issues).toEqual([]);
      expect(nodeRowsFromRrd('n', rows.items, 0, Infinity).length).toBeGreaterThan(0);
    }
    if (existsSync(new URL('cluster-metrics-export.json', dir(v)))) {
      const raw = fx(v, 'cluster-metrics-export.json');
      const list = Array.isArray(raw) ? raw : (raw as { data: unknown }).data;
      const items = parseItems(MetricItem, list);
      expect(items.issues).toEqual([]);
      expect(rowsFromMetrics(items.items, 0, Infinity).nodes.length).toBeGreaterThan(0);
    }
  });
});
