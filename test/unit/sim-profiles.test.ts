// Field shapes per PVE profile against pve-api.md §0, §3–§5, §8 and Appendix B.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type SimHandle } from '../../scripts/pve-sim/index.ts';
import { makeProfile } from '../../scripts/pve-sim/profiles.ts';
import { simRequest, tokenHeader } from '../../scripts/pve-sim/sim-client.ts';

const NOW = Date.UTC(2026, 10, 27, 12, 0, 0);

type Row = Record<string, unknown>;

async function withSim(pveVersion: 7 | 8 | 9): Promise<{ sim: SimHandle; get: (p: string) => Promise<{ status: number; data: unknown }> }> {
  const sim = await startSimulator({ pveVersion, now: () => NOW, authFailDelayMs: 1 });
  const base = sim.clusters[0]!.endpoints[0]!.url;
  const auth = tokenHeader(sim.tokenId, sim.tokenSecret);
  return {
    sim,
    get: async (p) => {
      const r = await simRequest(base, p, { auth });
      return { status: r.status, data: (r.json as { data?: unknown } | undefined)?.data };
    },
  };
}

describe.each([7, 8, 9] as const)('PVE %i profile', (v) => {
  let sim: SimHandle;
  let get: (p: string) => Promise<{ status: number; data: unknown }>;
  beforeAll(async () => {
    ({ sim, get } = await withSim(v));
  });
  afterAll(() => sim.stop());

  it('reports the version in the format of its era', async () => {
    const { data } = await get('/version');
    const d = data as Row;
    if (v === 7) expect(d).toEqual({ version: '7.4-16', release: '7.4', repoid: '0f39f621' });
    else expect(d.version).toMatch(new RegExp(`^${v}\\.\\d+\\.\\d+$`));
    if (v !== 7) expect(d.repoid).toMatch(/^[0-9a-f]{16}$/);
  });

  it('sends node status numbers the way Perl does: loadavg and mhz strings, memory.available only from 8.4', async () => {
    const d = (await get('/nodes/pve1/status')).data as Row;
    expect((d.loadavg as unknown[]).every((x) => typeof x === 'string' && /^\d+\.\d\d$/.test(x))).toBe(true);
    const cpuinfo = d.cpuinfo as Row;
    expect(typeof cpuinfo.mhz).toBe('string');
    expect(cpuinfo.hvm).toBe('1');
    const mem = d.memory as { total: number; used: number; free: number; available?: number };
    if (v === 7) {
      expect(mem.available).toBeUndefined();
      expect(mem.used + mem.free).toBe(mem.total);
    } else {
      expect(mem.used).toBe(mem.total - mem.available!);
      expect(mem.free).toBeLessThan(mem.available!);
    }
    expect(d.pveversion).toMatch(/^pve-manager\/\S+\/[0-9a-f]+$/);
  });

  it('types the lxc list vmid as a string only on PVE 7, and keeps qemu disk at 0', async () => {
    const nodes = sim.world.clusters[0]!.nodes.map((n) => n.name);
    const lxc = (await Promise.all(nodes.map((n) => get(`/nodes/${n}/lxc`)))).flatMap((r) => r.data as Row[]);
    const qemu = (await Promise.all(nodes.map((n) => get(`/nodes/${n}/qemu`)))).flatMap((r) => r.data as Row[]);
    expect(lxc.length).toBeGreaterThan(0);
    expect(lxc.every((e) => typeof e.vmid === (v === 7 ? 'string' : 'number'))).toBe(true);
    expect(qemu.every((e) => e.disk === 0 && typeof e.vmid === 'number' && e.type === undefined)).toBe(true);
    expect(qemu.some((e) => 'memhost' in e)).toBe(v === 9);
    // A paused VM is "running" in the qemu list but "paused" in /cluster/resources.
    const paused = [...sim.world.clusters[0]!.guests.values()].find((g) => g.qmpstatus === 'paused')!;
    expect(qemu.find((e) => e.vmid === paused.vmid)?.status).toBe('running');
    const res = (await get('/cluster/resources?type=vm')).data as Row[];
    expect(res.find((e) => e.vmid === paused.vmid)?.status).toBe('paused');
    expect(res.every((e) => typeof e.vmid === 'number' && (e.template === 0 || e.template === 1))).toBe(true);
    expect(res.filter((e) => e.type === 'qemu').every((e) => e.disk === 0)).toBe(true);
  });

  it('serves rrddata in the RRD layout of the version', async () => {
    const hour = (await get('/nodes/pve1/rrddata?timeframe=hour')).data as Row[];
    const day = (await get('/nodes/pve1/rrddata?timeframe=day&cf=MAX')).data as Row[];
    const step = (rows: Row[]) => (rows[1]!.time as number) - (rows[0]!.time as number);
    if (v === 9) {
      expect([hour.length, step(hour), day.length, step(day)]).toEqual([60, 60, 1440, 60]);
      expect(hour[0]).toHaveProperty('memavailable');
    } else {
      expect([hour.length, step(hour), day.length, step(day)]).toEqual([70, 60, 70, 1800]);
      expect(hour[0]).not.toHaveProperty('memavailable');
    }
    const decade = await get('/nodes/pve1/rrddata?timeframe=decade');
    expect(decade.status).toBe(200);
    const guest = [...sim.world.clusters[0]!.guests.values()].find((g) => g.type === 'qemu' && g.status === 'running')!;
    const g = (await get(`/nodes/${guest.node}/qemu/${guest.vmid}/rrddata?timeframe=hour`)).data as Row[];
    expect(g[0]).toHaveProperty('netin');
    expect('memhost' in g[0]!).toBe(v === 9);
  });

  it('has /cluster/metrics/export only from pve-manager 8.2.5', async () => {
    const r = await get('/cluster/metrics/export?history=1');
    if (v === 7) {
      expect(r.status).toBe(501);
    } else {
      const data = r.data as Array<{ timestamp: number; type: string }>;
      const stamps = [...new Set(data.map((m) => m.timestamp))].sort();
      expect(stamps.length).toBe(180);
      expect(stamps[1]! - stamps[0]!).toBe(10);
      expect(new Set(data.map((m) => m.type))).toEqual(new Set(['gauge', 'derive']));
    }
  });
});

describe('rrddata history', () => {
  it('gives stopped guests rows with only time/maxcpu/maxmem/maxdisk/disk, and averages counters into rates', async () => {
    const { sim, get } = await withSim(9);
    try {
      const stopped = [...sim.world.clusters[0]!.guests.values()].find((g) => g.status === 'stopped' && g.template === 0)!;
      const rows = (await get(`/nodes/${stopped.node}/${stopped.type}/${stopped.vmid}/rrddata?timeframe=hour`)).data as Row[];
      expect(rows).toHaveLength(60);
      for (const r of rows) expect(Object.keys(r).sort()).toEqual(['disk', 'maxcpu', 'maxdisk', 'maxmem', 'time']);
      const up = [...sim.world.clusters[0]!.guests.values()].find((g) => g.qmpstatus === 'running' && g.type === 'lxc')!;
      const hour = (await get(`/nodes/${up.node}/lxc/${up.vmid}/rrddata?timeframe=hour`)).data as Array<Record<string, number>>;
      expect(hour.every((r) => r.netin! > 0 && r.cpu! >= 0 && r.cpu! <= 1 && !Number.isInteger(r.mem))).toBe(true);
      expect(hour.at(-1)!.time).toBe(Math.floor(NOW / 60_000) * 60 - 60);
    } finally {
      await sim.stop();
    }
  });
});

describe('profile switches follow pve-api.md Appendix B', () => {
  it.each([
    ['7.4-16', 7, { errorMessage: false, lxcVmidString: true, memAvailable: false, metricsExport: false, pve9Fields: false }],
    ['8.1.4', 8, { errorMessage: false, lxcVmidString: true, memAvailable: false, metricsExport: false, pve9Fields: false }],
    ['8.2.4', 8, { errorMessage: false, lxcVmidString: false, memAvailable: false, metricsExport: false, pve9Fields: false }],
    ['8.2.5', 8, { errorMessage: false, lxcVmidString: false, memAvailable: false, metricsExport: true, pve9Fields: false }],
    ['8.3.0', 8, { errorMessage: true, lxcVmidString: false, memAvailable: false, metricsExport: true, pve9Fields: false }],
    ['8.4.1', 8, { errorMessage: true, lxcVmidString: false, memAvailable: true, metricsExport: true, pve9Fields: false }],
    ['9.0.4', 9, { errorMessage: true, lxcVmidString: false, memAvailable: true, metricsExport: true, pve9Fields: true }],
  ] as const)('pve-manager %s', (version, major, expected) => {
    const p = makeProfile(major, version);
    expect(p).toMatchObject({ version, ...expected });
    expect(p.repoid).toMatch(major === 7 ? /^[0-9a-f]{8}$/ : /^[0-9a-f]{16}$/);
  });
});
