import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ClusterStatusItem, NodeStatusSchema, ResourceItem, TaskItem, VersionSchema, parseItems } from '../../agent/pve/pve-schemas.ts';
import { mapClusterStatus } from '../../agent/poll/map-cluster-status.ts';
import { mapResources, splitTags } from '../../agent/poll/map-resources.ts';
import { mapNodeState, managerVersion } from '../../agent/poll/map-node-status.ts';
import { mapTask, taskOk } from '../../agent/poll/map-tasks.ts';
import { hasMetricsExport, parsePveVersion } from '../../agent/poll/pve-version.ts';

const fx = (name: string): unknown => (JSON.parse(readFileSync(new URL(`../fixtures/pve/handwritten/${name}`, import.meta.url), 'utf8')) as { data: unknown }).data;

describe('mapClusterStatus', () => {
  it('reads name, quorum and members sorted, offline member kept', () => {
    const { items, issues } = parseItems(ClusterStatusItem, fx('cluster-status.json'));
    expect(issues).toEqual([]);
    const m = mapClusterStatus(items);
    expect(m).toMatchObject({ pveName: 'prod', quorate: true, nodeCount: 3, identity: 'cluster:prod:pve1,pve2,pve3' });
    expect(m.members.map((x) => [x.node, x.online, x.nodeid, x.level])).toEqual([['pve1', true, 1, 'c'], ['pve2', true, 2, null], ['pve3', false, 3, null]]);
  });
  it('a standalone host has no cluster entry and is keyed by its node name', () => {
    const m = mapClusterStatus(parseItems(ClusterStatusItem, fx('cluster-status-standalone.json')).items);
    expect(m).toMatchObject({ pveName: null, quorate: null, nodeCount: 1, identity: 'standalone:lab' });
  });
});

describe('mapResources', () => {
  const { items, issues } = parseItems(ResourceItem, fx('cluster-resources.json'));
  const r = mapResources(items);
  it('accepts numeric strings and 0/1 booleans, ignores pool/sdn entries', () => {
    expect(issues).toEqual([]);
    expect(r.guests.map((g) => g.vmid)).toEqual([100, 101, 102, 103, 106, 9000]);
  });
  it('maps guest fields: tags, pool, hastate, lock, template, paused, unknown, memhost', () => {
    const g = (id: number) => r.guests.find((x) => x.vmid === id)!;
    expect(g(100)).toMatchObject({ type: 'qemu', node: 'pve1', status: 'running', tags: ['prod', 'web'], pool: 'apps', hastate: 'started', template: false, disk: null, maxdisk: 34359738368, counters: { netin: 123456, netout: 654321, diskread: 1000, diskwrite: 2000 }, netinBps: null });
    expect(g(101)).toMatchObject({ status: 'paused', lock: 'backup', tags: ['a', 'b', 'c'] });
    expect(g(102)).toMatchObject({ status: 'unknown', name: null, cpu: null, tags: ['prod'], pool: 'apps' });
    expect(g(103).memhost).toBe(123456789);
    expect(g(106)).toMatchObject({ type: 'lxc', disk: 1073741824, uptime: 7200, tags: [], counters: { netin: 500, netout: 600 } });
    expect(g(9000)).toMatchObject({ template: true, status: 'stopped' });
  });
  it('maps storages per node and node stats', () => {
    expect(r.storages).toEqual([
      { node: 'pve1', storage: 'local', type: 'dir', content: 'iso,vztmpl,backup', shared: false, status: 'available', used: 20000000000, total: 100000000000 },
      { node: 'pve2', storage: 'ceph', type: 'rbd', content: 'images,rootdir', shared: true, status: 'available', used: 300000000000, total: 1000000000000 },
      { node: 'pve3', storage: 'local', type: null, content: 'iso', shared: false, status: 'unknown', used: null, total: null },
    ]);
    expect(r.nodes.get('pve2')).toMatchObject({ status: 'online', uptime: 3600, cpu: 0.5 });
    expect(r.nodes.get('pve3')).toMatchObject({ status: 'offline', uptime: null, maxcpu: 8 });
  });
  it('one malformed entry is reported and skipped, the rest kept', () => {
    const data = [...(fx('cluster-resources.json') as unknown[]), { type: 'qemu' }, 'junk'];
    const p = parseItems(ResourceItem, data);
    expect(p.issues.map((i) => i.index)).toEqual([data.length - 2, data.length - 1]);
    expect(mapResources(p.items).guests).toHaveLength(6);
  });
  it('splits tags on ; , and spaces', () => {
    expect(splitTags('a;b,c d;;a')).toEqual(['a', 'b', 'c', 'd']);
    expect(splitTags(undefined)).toEqual([]);
  });
});

describe('mapNodeState', () => {
  const members = mapClusterStatus(parseItems(ClusterStatusItem, fx('cluster-status.json')).items).members;
  const res = mapResources(parseItems(ResourceItem, fx('cluster-resources.json')).items).nodes;
  it('PVE 7: loadavg strings → numbers, no memory.available → null, version from pveversion', () => {
    const st = NodeStatusSchema.parse(fx('node-status-pve7.json'));
    const n = mapNodeState('pve1', members[0], res.get('pve1'), st);
    expect(n).toMatchObject({ status: 'online', nodeid: 1, ip: '10.0.0.1', load1: 0.5, load5: 0.4, load15: 0.3, iowait: 0.0021, memTotal: 67000000000, memUsed: 9000000000, memAvailable: null, swapTotal: 8000000000, rootfsUsed: 12000000000, uptime: 86400, pveVersion: '7.4-16', cpuModel: 'Intel(R) Xeon(R) CPU E5-2620 v4 @ 2.10GHz', kernel: expect.stringContaining('5.15.108-1-pve'), hastate: 'online', cpu: 0.12 });
  });
  it('PVE 9: memory.available kept, extra fields ignored', () => {
    const st = NodeStatusSchema.parse(fx('node-status-pve9.json'));
    expect(mapNodeState('pve2', members[1], res.get('pve2'), st)).toMatchObject({ memAvailable: 44000000000, pveVersion: '9.0.4', load1: 1.25 });
  });
  it('an offline node keeps its identity and totals but no live figures', () => {
    expect(mapNodeState('pve3', members[2], res.get('pve3'), undefined)).toMatchObject({ status: 'offline', cpu: null, uptime: null, memUsed: null, memTotal: 32000000000 });
  });
  it('managerVersion', () => expect(managerVersion('pve-manager/8.2.4/faa83925c9641325')).toBe('8.2.4'));
});

describe('mapTask', () => {
  const tasks = parseItems(TaskItem, fx('cluster-tasks.json')).items.map(mapTask);
  it('maps OK, error text, WARNINGS and running; vmid only when numeric; token split', () => {
    expect(tasks.map((t) => [t?.type, t?.vmid, t?.ok, t?.status])).toEqual([
      ['vzdump', 110, true, 'OK'],
      ['srvreload', null, false, "command 'ifreload -a' failed: exit code 1"],
      ['qmstart', 100, true, 'WARNINGS: 2'],
      ['qmshutdown', 101, null, null],
    ]);
    expect(tasks[2]).toMatchObject({ user: 'pmi@pve', tokenid: 'agent', starttime: 1757362753, endtime: 1757362755, node: 'pve2' });
    expect(tasks[1]?.objectId).toBe('networking');
  });
  it('falls back to the UPID for missing fields', () => {
    expect(mapTask({ upid: 'UPID:pve9:000029DD:1599528B:6108F068:qmstop:105:u@pve!tok:' })).toMatchObject({ node: 'pve9', type: 'qmstop', vmid: 105, starttime: 1627975784, user: 'u@pve', tokenid: 'tok', ok: null });
  });
  it('taskOk', () => {
    expect([taskOk('OK'), taskOk('WARNINGS: 1'), taskOk('RUNNING'), taskOk('unexpected status'), taskOk(undefined)]).toEqual([true, true, null, false, null]);
  });
});

describe('pve-version', () => {
  it('parses both formats and gates /cluster/metrics/export at 8.2.5', () => {
    expect(VersionSchema.parse(fx('version-pve7.json')).version).toBe('7.4-16');
    expect(parsePveVersion('7.4-16')).toEqual([7, 4, 16]);
    expect(parsePveVersion('9.0.4')).toEqual([9, 0, 4]);
    expect([hasMetricsExport('7.4-16'), hasMetricsExport('8.2.4'), hasMetricsExport('8.2.5'), hasMetricsExport('8.3.0'), hasMetricsExport('9.0.4'), hasMetricsExport(null)]).toEqual([false, false, true, true, true, false]);
  });
});
