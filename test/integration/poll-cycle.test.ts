// The poller against the real simulator over HTTPS: a normal cycle, the request budget, PVE 7,
// a standalone host, a cluster configured twice, keep-alive across pveproxy's idle close, storing.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type SimHandle } from '../../scripts/pve-sim/index.ts';
import { openDatabase } from '../../agent/store/open-database.ts';
import { writeSnapshot } from '../../agent/store/snapshot.repository.ts';
import { clientsFor, closeAll, clusterConfig, logSink, pollerFor } from './poll-sim-helpers.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('poll cycle against the simulator (PVE 8, 3 nodes)', () => {
  let sim: SimHandle;
  beforeAll(async () => {
    sim = await startSimulator({ seed: 7, clusters: 1, nodesPerCluster: 3, guests: 30 });
  });
  afterAll(async () => sim.stop());

  it('maps the whole cluster, derives rates on the second cycle, never calls per guest', async () => {
    const { log, text } = logSink([sim.tokenSecret]);
    const clients = clientsFor(sim, log, [clusterConfig(sim, 0)]);
    const poller = pollerFor(clients, log);
    sim.resetStats();
    const [a] = await poller.pollAll();
    expect(a).toMatchObject({ cluster: sim.clusters[0]!.name, ok: true, endpoint: sim.clusters[0]!.endpoints[0]!.url });
    const snap = a!.snapshot!;
    expect(snap.guests).toHaveLength(30);
    expect(snap.nodes.map((n) => n.status)).toEqual(['online', 'online', 'online']);
    expect(snap.nodes[0]).toMatchObject({ load1: expect.any(Number), memTotal: expect.any(Number), kernel: expect.any(String), cpuModel: expect.any(String) });
    expect(snap.storages.length).toBeGreaterThan(0);
    expect(snap.info.pveVersion).toMatch(/^8\./);
    expect(snap.guests.every((g) => g.netinBps === null)).toBe(true);
    // 4 cluster-wide requests + 1 per online node
    expect(a!.requests).toBe(4 + 3);
    await sleep(1100);
    const [b] = await poller.pollAll();
    expect(b!.requests).toBe(3 + 3); // /version is cached
    const running = b!.snapshot!.guests.filter((g) => g.status === 'running');
    expect(running.length).toBeGreaterThan(0);
    expect(running.some((g) => g.netinBps !== null && g.netinBps >= 0)).toBe(true);
    const byPath = sim.stats().byPath;
    expect(Object.keys(byPath).filter((p) => p.includes('{vmid}'))).toEqual([]);
    expect(sim.stats().requests).toBe(a!.requests + b!.requests);
    expect(text()).not.toContain(sim.tokenSecret);
    await closeAll(clients);
  });

  it('stores a snapshot with writeSnapshot', async () => {
    const { log } = logSink();
    const clients = clientsFor(sim, log, [clusterConfig(sim, 0)]);
    const [r] = await pollerFor(clients, log).pollAll();
    const store = await openDatabase(join(mkdtempSync(join(tmpdir(), 'pmi-poll-')), 'pmi.sqlite'));
    await writeSnapshot(store.db, r!.snapshot!);
    const guests = await store.db.selectFrom('guests').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    expect(Number(guests.n)).toBe(30);
    await store.close();
    await closeAll(clients);
  });

  it('keep-alive across a longer idle than pveproxy allows (5 s) gives no error', async () => {
    const { log } = logSink();
    const clients = clientsFor(sim, log, [clusterConfig(sim, 0)], sim.tokenSecret, 0);
    const poller = pollerFor(clients, log);
    expect((await poller.pollAll())[0]!.ok).toBe(true);
    await sleep(5500);
    const [r] = await poller.pollAll();
    expect(r).toMatchObject({ ok: true, errors: 0, warnings: [] });
    await closeAll(clients);
  });
});

describe('requests per cycle grow with nodes, not guests', () => {
  it('3 nodes and 1,000 guests: 4 + 3 requests on the first cycle, 3 + 3 after', async () => {
    const sim = await startSimulator({ seed: 3, clusters: 1, nodesPerCluster: 3, guests: 1000 });
    const { log } = logSink();
    const clients = clientsFor(sim, log, [clusterConfig(sim, 0)]);
    const poller = pollerFor(clients, log);
    sim.resetStats();
    const [a] = await poller.pollAll();
    const [b] = await poller.pollAll();
    expect(a!.snapshot!.guests).toHaveLength(1000);
    expect([a!.requests, b!.requests]).toEqual([7, 6]);
    expect(sim.stats().requests).toBe(13);
    await closeAll(clients);
    await sim.stop();
  });
});

describe('PVE 7 profile and a standalone host', () => {
  it('PVE 7 (string vmids, no memory.available, x.y-z version) maps fine', async () => {
    const sim = await startSimulator({ seed: 5, pveVersion: 7, guests: 25 });
    const { log } = logSink();
    const clients = clientsFor(sim, log, [clusterConfig(sim, 0)]);
    const [r] = await pollerFor(clients, log).pollAll();
    expect(r).toMatchObject({ ok: true, errors: 0 });
    expect(r!.snapshot!.info.pveVersion).toMatch(/^7\.\d+-\d+$/);
    expect(r!.snapshot!.guests).toHaveLength(25);
    expect(r!.snapshot!.guests.every((g) => Number.isInteger(g.vmid))).toBe(true);
    expect(r!.snapshot!.nodes.every((n) => n.memAvailable === null && n.memUsed !== null)).toBe(true);
    await closeAll(clients);
    await sim.stop();
  });

  it('a standalone host is polled under its config name, without a cluster name', async () => {
    const sim = await startSimulator({ seed: 6, standalone: true, guests: 8 });
    const { log } = logSink();
    const clients = clientsFor(sim, log, [clusterConfig(sim, 0, { name: 'homelab' })]);
    const [r] = await pollerFor(clients, log).pollAll();
    expect(r).toMatchObject({ cluster: 'homelab', ok: true });
    expect(r!.snapshot!.info).toMatchObject({ pveName: null, quorate: null, nodeCount: 1 });
    expect(r!.snapshot!.nodes).toHaveLength(1);
    expect(r!.snapshot!.guests).toHaveLength(8);
    await closeAll(clients);
    await sim.stop();
  });
});

describe('one cluster configured twice', () => {
  it('is polled once, with a warning naming both entries; the duplicate costs nothing afterwards', async () => {
    const sim = await startSimulator({ seed: 9, clusters: 2, nodesPerCluster: 3, guests: 20 });
    const { log, lines } = logSink();
    const first = clusterConfig(sim, 0, { name: 'prod' });
    const twin = clusterConfig(sim, 0, { name: 'prod-again', endpoints: [...first.endpoints].reverse() });
    const other = clusterConfig(sim, 1);
    const clients = clientsFor(sim, log, [first, twin, other]);
    const poller = pollerFor(clients, log);
    const r1 = await poller.pollAll();
    const byName = (rs: typeof r1, n: string) => rs.find((r) => r.cluster === n)!;
    expect(byName(r1, 'prod')).toMatchObject({ ok: true });
    expect(byName(r1, 'prod').snapshot).toBeDefined();
    expect(byName(r1, 'prod-again')).toMatchObject({ ok: true, duplicateOf: 'prod' });
    expect(byName(r1, 'prod-again').snapshot).toBeUndefined();
    expect(byName(r1, other.name).snapshot).toBeDefined();
    const warns = lines.filter((l) => l.level === 'warn' && String(l.msg).includes('same Proxmox cluster'));
    expect(warns).toHaveLength(1);
    expect(warns[0]!.msg).toContain('"prod"');
    expect(warns[0]!.msg).toContain('"prod-again"');
    const r2 = await poller.pollAll();
    expect(byName(r2, 'prod-again')).toMatchObject({ duplicateOf: 'prod', requests: 0 });
    expect(byName(r2, 'prod').snapshot).toBeDefined();
    await closeAll(clients);
    await sim.stop();
  });
});

describe('poll cycle at a large node count', () => {
  it('fans one cycle signal out to 14 node requests without a MaxListenersExceededWarning', async () => {
    const sim = await startSimulator({ seed: 11, clusters: 1, nodesPerCluster: 14, guests: 28 });
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(`${w.name}: ${w.message}`);
    process.on('warning', onWarning);
    try {
      const { log } = logSink();
      const clients = clientsFor(sim, log, [clusterConfig(sim, 0)]);
      const [r] = await pollerFor(clients, log).pollAll();
      expect(r!.ok).toBe(true);
      expect(r!.snapshot!.nodes).toHaveLength(14);
      await new Promise((res) => setImmediate(res)); // warnings are emitted on the next tick
      expect(warnings.filter((w) => w.startsWith('MaxListenersExceededWarning'))).toEqual([]);
      await closeAll(clients);
    } finally {
      process.off('warning', onWarning);
      await sim.stop();
    }
  });
});
