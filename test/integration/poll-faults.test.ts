// Every way Proxmox fails, against the real simulator over HTTPS, with what a user would see.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type SimHandle } from '../../scripts/pve-sim/index.ts';
import { clientsFor, closeAll, clusterConfig, logSink, pollerFor } from './poll-sim-helpers.ts';

let sim: SimHandle;
let c1: string;
beforeAll(async () => {
  sim = await startSimulator({ seed: 11, clusters: 2, nodesPerCluster: 3, guests: 40, authFailDelayMs: 50 });
  c1 = sim.clusters[0]!.name;
});
afterAll(async () => sim.stop());
afterEach(() => sim.faults.clear());

const node = (i: number, j: number) => sim.clusters[i]!.endpoints[j]!.node;

describe('endpoints and TLS', () => {
  it('fails over to the next endpoint when the first node is offline, and says which is in use', async () => {
    sim.faults.set({ cluster: c1, node: node(0, 0) }, { kind: 'offline' });
    const { log, lines } = logSink();
    const clients = clientsFor(sim, log, [clusterConfig(sim, 0)]);
    const [r] = await pollerFor(clients, log).pollAll();
    expect(r).toMatchObject({ ok: true, endpoint: sim.clusters[0]!.endpoints[1]!.url });
    const snap = r!.snapshot!;
    expect(snap.endpoint).toBe(sim.clusters[0]!.endpoints[1]!.url);
    expect(snap.nodes.find((n) => n.node === node(0, 0))!.status).toBe('offline');
    // no per-node call to the offline node: 4 + 2 online nodes + the one refused connection
    expect(r!.requests).toBe(4 + 2 + 1);
    expect(lines.some((l) => String(l.msg).includes(`now using endpoint ${sim.clusters[0]!.endpoints[1]!.url}`))).toBe(true);
    await closeAll(clients);
  });

  it('a wrong fingerprint is a clear PVE_TLS error naming endpoint, expected and seen', async () => {
    const wrong = sim.fingerprint.replace(/^[0-9A-F]{2}/, (h) => (h === '00' ? '11' : '00'));
    const { log, lines } = logSink();
    const cfg = clusterConfig(sim, 0, { endpoints: [sim.clusters[0]!.endpoints[0]!.url], tls: { insecure: false, fingerprint: wrong } });
    const clients = clientsFor(sim, log, [cfg]);
    const [r] = await pollerFor(clients, log).pollAll();
    expect(r!.ok).toBe(false);
    expect(r!.error!.code).toBe('PVE_TLS');
    expect(r!.error!.message).toContain(cfg.endpoints[0]);
    expect(r!.error!.message).toContain(`expected ${wrong}`);
    expect(r!.error!.message).toContain(`seen ${sim.fingerprint}`);
    expect(lines.some((l) => l.level === 'error' && l.code === 'PVE_TLS' && String(l.msg).includes(wrong))).toBe(true);
    await closeAll(clients);
  });

  it('a certificate that changed on one node fails that endpoint over to the next', async () => {
    sim.faults.set({ cluster: c1, node: node(0, 0) }, { kind: 'certChanged' });
    const { log } = logSink();
    const clients = clientsFor(sim, log, [clusterConfig(sim, 0)]);
    const [r] = await pollerFor(clients, log).pollAll();
    expect(r).toMatchObject({ ok: true, endpoint: sim.clusters[0]!.endpoints[1]!.url });
    await closeAll(clients);
  });

  it('CA file mode verifies against the CA; insecure works and logs a warning', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pmi-ca-'));
    writeFileSync(join(dir, 'ca.pem'), sim.caPem ?? sim.certPem);
    const { log, lines } = logSink();
    const ca = clientsFor(sim, log, [clusterConfig(sim, 0, { tls: { insecure: false, caFile: join(dir, 'ca.pem') } })]);
    expect((await pollerFor(ca, log).pollAll())[0]!.ok).toBe(true);
    expect(lines.filter((l) => l.level === 'warn')).toEqual([]);
    const ins = clientsFor(sim, log, [clusterConfig(sim, 1, { tls: { insecure: true } })]);
    expect((await pollerFor(ins, log).pollAll())[0]!.ok).toBe(true);
    expect(lines.filter((l) => l.level === 'warn').map((l) => l.msg)).toEqual([expect.stringContaining('TLS verification is OFF')]);
    await closeAll(ca);
    await closeAll(ins);
  });

  it('a wrong token is PVE_AUTH naming the endpoint, not retried, secret never logged', async () => {
    // No masking in this sink: the assertion below is about what the client itself writes.
    const { log, text } = logSink();
    const clients = clientsFor(sim, log, [clusterConfig(sim, 0)], 'not-the-secret-0000', 2);
    const [r] = await pollerFor(clients, log).pollAll();
    expect(r!.ok).toBe(false);
    expect(r!.error!.code).toBe('PVE_AUTH');
    expect(r!.error!.message).toBe(`authentication failed at ${sim.clusters[0]!.endpoints[0]!.url}: 401 Authentication failed!`);
    expect(r!.requests).toBe(1);
    expect(text()).not.toContain('not-the-secret-0000');
    await closeAll(clients);
  });
});

describe('node failures keep the rest of the cycle', () => {
  it('500 on one node and 596 on another: both skipped with a warning, the rest kept', async () => {
    sim.faults.set({ cluster: c1, path: new RegExp(`^/nodes/${node(0, 1)}/status$`) }, { kind: 'error500', message: 'something broke' });
    sim.faults.set({ cluster: c1, node: node(0, 2), path: '/nodes/{node}/status' }, { kind: 'timeout596' });
    const { log } = logSink();
    const clients = clientsFor(sim, log, [clusterConfig(sim, 0)]);
    const [r] = await pollerFor(clients, log).pollAll();
    expect(r!.ok).toBe(true);
    expect(r!.snapshot!.guests.length).toBeGreaterThan(0);
    expect(r!.warnings).toEqual(expect.arrayContaining([expect.stringContaining(`node ${node(0, 1)}`), expect.stringContaining(`node ${node(0, 2)}`)]));
    expect(r!.warnings.join(' ')).toContain('something broke');
    const n0 = r!.snapshot!.nodes.find((n) => n.node === node(0, 0))!;
    expect(n0.load1).not.toBeNull();
    const n1 = r!.snapshot!.nodes.find((n) => n.node === node(0, 1))!;
    expect(n1).toMatchObject({ status: 'online', load1: null });
    await closeAll(clients);
  });

  it('an offline node (595 behind the endpoint) is shown offline and not asked', async () => {
    sim.faults.set({ cluster: c1, node: node(0, 2) }, { kind: 'offline' });
    const { log } = logSink();
    const clients = clientsFor(sim, log, [clusterConfig(sim, 0)]);
    const [r] = await pollerFor(clients, log).pollAll();
    expect(r).toMatchObject({ ok: true, requests: 4 + 2, errors: 0 });
    expect(r!.snapshot!.nodes.find((n) => n.node === node(0, 2))!.status).toBe('offline');
    await closeAll(clients);
  });

  it('malformed JSON from one node is logged with endpoint and path and skipped', async () => {
    sim.faults.set({ cluster: c1, path: new RegExp(`^/nodes/${node(0, 1)}/status$`) }, { kind: 'malformed' });
    const { log, lines } = logSink();
    const clients = clientsFor(sim, log, [clusterConfig(sim, 0)]);
    const [r] = await pollerFor(clients, log).pollAll();
    expect(r!.ok).toBe(true);
    const w = lines.find((l) => l.level === 'warn' && l.node === node(0, 1))!;
    expect(w).toBeDefined();
    expect(w.endpoint).toBe(sim.clusters[0]!.endpoints[0]!.url);
    expect(w.path).toBe(`/nodes/${node(0, 1)}/status`);
    expect(String(w.msg)).toContain('not valid JSON');
    expect(w.code).toBe('PVE_BAD_RESPONSE');
    expect(r!.snapshot!.nodes.filter((n) => n.load1 !== null)).toHaveLength(2);
    await closeAll(clients);
  });

  it('a hanging node is bounded by the timeout and the budget; the rest is kept', async () => {
    sim.faults.set({ cluster: c1, path: new RegExp(`^/nodes/${node(0, 1)}/status$`) }, { kind: 'hang' });
    const { log } = logSink();
    const clients = clientsFor(sim, log, [clusterConfig(sim, 0, { timeoutMs: 400 })]);
    const t0 = Date.now();
    const [r] = await pollerFor(clients, log).pollAll();
    expect(Date.now() - t0).toBeLessThan(400 + 500);
    expect(r!.ok).toBe(true);
    expect(r!.warnings.join(' ')).toMatch(/timed out|budget/);
    await closeAll(clients);
  });
});

describe('clusters do not wait for each other', () => {
  it('a hanging cluster costs its own budget and does not delay the other', async () => {
    sim.faults.set({ cluster: c1 }, { kind: 'hang' });
    const { log } = logSink();
    const clients = clientsFor(sim, log, [clusterConfig(sim, 0, { timeoutMs: 500 }), clusterConfig(sim, 1, { timeoutMs: 500 })]);
    const poller = pollerFor(clients, log);
    const alone = clientsFor(sim, log, [clusterConfig(sim, 1)]);
    const base = (await pollerFor(alone, log).pollAll())[0]!.durationMs;
    const t0 = Date.now();
    const [dead, live] = await poller.pollAll();
    const total = Date.now() - t0;
    expect(dead).toMatchObject({ ok: false, error: { code: 'PVE_TIMEOUT' } });
    expect(dead!.durationMs).toBeLessThanOrEqual(500 + 200);
    expect(live!.ok).toBe(true);
    expect(live!.durationMs).toBeLessThan(Math.max(300, base * 3));
    expect(total).toBeLessThanOrEqual(500 + 300);
    await closeAll(clients);
    await closeAll(alone);
  });

  it('a cluster whose every endpoint refuses fails fast with PVE_UNREACHABLE', async () => {
    sim.faults.set({ cluster: c1 }, { kind: 'offline' });
    const { log } = logSink();
    const clients = clientsFor(sim, log, [clusterConfig(sim, 0)]);
    const t0 = Date.now();
    const [r] = await pollerFor(clients, log).pollAll();
    expect(r).toMatchObject({ ok: false, error: { code: 'PVE_UNREACHABLE' } });
    expect(r!.error!.message).toContain(sim.clusters[0]!.endpoints[2]!.url);
    expect(Date.now() - t0).toBeLessThan(1000);
    await closeAll(clients);
  });
});
