// World generation and the metric model: determinism per seed, counters, uptime, scaling, payloads.
import { afterEach, describe, expect, it } from 'vitest';
import { startSimulator, type SimHandle } from '../../scripts/pve-sim/index.ts';
import { simRequest, tokenHeader } from '../../scripts/pve-sim/sim-client.ts';

type Row = Record<string, unknown>;
const T0 = Date.UTC(2026, 10, 27, 9, 30, 0);
const running: SimHandle[] = [];

async function sim(opts: Parameters<typeof startSimulator>[0]) {
  const s = await startSimulator({ authFailDelayMs: 1, ...opts });
  running.push(s);
  const auth = tokenHeader(s.tokenId, s.tokenSecret);
  const get = async (p: string, c = 0) => (await simRequest(s.clusters[c]!.endpoints[0]!.url, p, { auth })).json as { data: unknown };
  return { s, get };
}

afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.stop()));
});

describe('simulated world', () => {
  it('gives the same answers for the same seed and clock, different ones for another seed', async () => {
    const a = await sim({ seed: 7, now: () => T0 });
    const b = await sim({ seed: 7, now: () => T0 });
    const c = await sim({ seed: 8, now: () => T0 });
    for (const p of ['/cluster/resources', '/nodes/pve2/status', '/nodes/pve1/rrddata?timeframe=hour']) {
      expect(await b.get(p)).toEqual(await a.get(p));
    }
    expect(await c.get('/cluster/resources')).not.toEqual(await a.get('/cluster/resources'));
    expect(a.s.tokenSecret).toBe(b.s.tokenSecret);
    expect(a.s.tokenSecret).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-a[0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('builds the default world: 3 nodes, 20 guests, both types, running and stopped, a template, tags, a pool, HA', async () => {
    const { get } = await sim({ now: () => T0 });
    const res = (await get('/cluster/resources')).data as Row[];
    const guests = res.filter((r) => r.type === 'qemu' || r.type === 'lxc');
    expect(res.filter((r) => r.type === 'node')).toHaveLength(3);
    expect(guests).toHaveLength(20);
    expect(new Set(guests.map((g) => g.type))).toEqual(new Set(['qemu', 'lxc']));
    expect(new Set(guests.map((g) => g.status))).toEqual(new Set(['running', 'stopped', 'paused']));
    expect(guests.filter((g) => g.template === 1)).toHaveLength(1);
    expect(guests.some((g) => typeof g.tags === 'string' && (g.tags as string).length > 0)).toBe(true);
    expect(guests.some((g) => g.pool === 'production')).toBe(true);
    expect(res.some((r) => r.type === 'pool')).toBe(true);
    expect(guests.filter((g) => g.hastate === 'started').length).toBeGreaterThanOrEqual(1);
    const storages = res.filter((r) => r.type === 'storage');
    expect(storages.some((s) => s.plugintype === 'nfs' && s.shared === 1 && s.status === 'available')).toBe(true);
    expect(storages.some((s) => s.status === 'unknown' && s.disk === undefined)).toBe(true);
  });

  it('grows counters only while a guest runs, and they are monotonic over time', async () => {
    let now = T0;
    const { s, get } = await sim({ now: () => now });
    const sample = async () => new Map(((await get('/cluster/resources?type=vm')).data as Row[]).map((r) => [r.vmid as number, r]));
    const first = await sample();
    let prev = first;
    for (let i = 0; i < 5; i++) {
      now += 10_000 + i * 7_000;
      const cur = await sample();
      for (const g of s.world.clusters[0]!.guests.values()) {
        const [p, c] = [prev.get(g.vmid)!, cur.get(g.vmid)!];
        for (const k of ['netin', 'netout', 'diskread', 'diskwrite']) {
          if (g.status === 'running' && g.qmpstatus === 'running') expect(c[k] as number).toBeGreaterThan(p[k] as number);
          else expect(c[k]).toBe(p[k]);
        }
        if (g.status === 'running') expect(c.uptime as number).toBeGreaterThan(p.uptime as number);
        else expect([c.uptime, c.cpu, c.mem, c.netin]).toEqual([0, 0, 0, 0]);
      }
      prev = cur;
    }
  });

  it('lags /cluster/resources to the 10 s pvestatd cycle but answers status/current live', async () => {
    let now = T0;
    const { s, get } = await sim({ now: () => now });
    const g = [...s.world.clusters[0]!.guests.values()].find((x) => x.type === 'qemu' && x.qmpstatus === 'running')!;
    const res = async () => ((await get('/cluster/resources?type=vm')).data as Row[]).find((r) => r.vmid === g.vmid)!;
    const a = await res();
    now += 3_000;
    expect(await res()).toEqual(a);
    const cur1 = (await get(`/nodes/${g.node}/qemu/${g.vmid}/status/current`)).data as Row;
    now += 1_000;
    const cur2 = (await get(`/nodes/${g.node}/qemu/${g.vmid}/status/current`)).data as Row;
    expect(cur2.netin as number).toBeGreaterThan(cur1.netin as number);
  });

  it('scales by options: clusters × nodes × guests with unique node names and the total split across clusters', async () => {
    const { s, get } = await sim({ clusters: 3, nodesPerCluster: 4, guests: 100, now: () => T0 });
    expect(s.clusters.map((c) => c.endpoints.length)).toEqual([4, 4, 4]);
    const counts = await Promise.all([0, 1, 2].map(async (c) => ((await get('/cluster/resources?type=vm', c)).data as Row[]).length));
    expect(counts).toEqual([34, 33, 33]);
    expect(s.clusters[1]!.endpoints[0]!.node).toBe('c2-pve1');
  });

  it('can carry an HTML/JS payload in a guest name and tag (for escaping tests)', async () => {
    const { get } = await sim({ hostileNames: true, now: () => T0 });
    const res = (await get('/cluster/resources?type=vm')).data as Row[];
    expect(res.some((r) => r.name === '<img src=x onerror=alert(1)>')).toBe(true);
    expect(res.some((r) => typeof r.tags === 'string' && r.tags.split(';').includes('"><script>alert(1)</script>'))).toBe(true);
  });

  it('standalone: no cluster entry, one node with nodeid 0 and local 1', async () => {
    const { s, get } = await sim({ standalone: true, now: () => T0 });
    expect(s.clusters[0]!.pveName).toBeNull();
    const st = (await get('/cluster/status')).data as Row[];
    expect(st).toEqual([{ type: 'node', id: 'node/pve1', name: 'pve1', nodeid: 0, online: 1, local: 1, ip: expect.any(String), level: '' }]);
  });
});
