// Injected faults behave as pve-api.md §1.3/§10 describes the real failures.
import { X509Certificate } from 'node:crypto';
import tls from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { startSimulator, type SimHandle } from '../../scripts/pve-sim/index.ts';
import { simRequest, tokenHeader } from '../../scripts/pve-sim/sim-client.ts';

type Row = Record<string, unknown>;
const T0 = Date.UTC(2026, 10, 27, 9, 30, 0);
const running: SimHandle[] = [];

async function sim(opts: Parameters<typeof startSimulator>[0] = {}) {
  const s = await startSimulator({ authFailDelayMs: 50, ...opts });
  running.push(s);
  const auth = tokenHeader(s.tokenId, s.tokenSecret);
  const url = (n: number) => s.clusters[0]!.endpoints[n]!.url;
  return { s, auth, url };
}

function peerFingerprint(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = tls.connect({ host: '127.0.0.1', port: Number(new URL(url).port), rejectUnauthorized: false }, () => {
      resolve(sock.getPeerX509Certificate()!.fingerprint256);
      sock.end();
    });
    sock.on('error', reject);
  });
}

afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.stop()));
});

describe('simulator faults', () => {
  it('offline node: 595 with empty body when proxied, offline in the cluster views, own endpoint refuses', async () => {
    let now = T0;
    const { s, auth, url } = await sim({ now: () => now });
    s.faults.set({ cluster: 'cluster1', node: 'pve2' }, { kind: 'offline' });

    const proxied = await simRequest(url(0), '/nodes/pve2/status', { auth });
    expect([proxied.status, proxied.reason, proxied.body]).toEqual([595, 'No route to host', '']);

    const st = (await simRequest(url(0), '/cluster/status', { auth })).json as { data: Row[] };
    expect(st.data.find((e) => e.name === 'pve2')?.online).toBe(0);
    const nodes = (await simRequest(url(0), '/nodes', { auth })).json as { data: Row[] };
    const pve2 = nodes.data.find((e) => e.node === 'pve2')!;
    expect(pve2.status).toBe('offline');
    expect(pve2.uptime).toBeUndefined();

    await expect(simRequest(url(1), '/version', { auth, timeoutMs: 2000 })).rejects.toThrow();

    // After 5 minutes its guests are "unknown" with only the config-derived keys, except the
    // HA-managed ones, which the HA manager has recovered on another node.
    const ha = [...s.world.clusters[0]!.guests.values()].filter((g) => g.hastate !== undefined && g.node === 'pve2').map((g) => g.vmid);
    expect(ha.length).toBeGreaterThan(0);
    now += 6 * 60_000;
    const res = (await simRequest(url(0), '/cluster/resources?type=vm', { auth })).json as { data: Row[] };
    const onPve2 = res.data.filter((g) => g.node === 'pve2');
    expect(onPve2.length).toBeGreaterThan(0);
    for (const vmid of ha) expect(res.data.find((g) => g.vmid === vmid)).toMatchObject({ status: 'running', hastate: 'started', node: expect.not.stringMatching(/^pve2$/) });
    for (const g of onPve2) {
      expect(g.status).toBe('unknown');
      expect(Object.keys(g).every((k) => ['id', 'type', 'vmid', 'node', 'status', 'tags', 'lock', 'pool', 'hastate'].includes(k))).toBe(true);
    }

    s.faults.clear({ cluster: 'cluster1', node: 'pve2' });
    expect((await simRequest(url(1), '/version', { auth })).status).toBe(200);
  });

  it('596, 500 with message, 401 after delay and malformed JSON, scoped by node and path', async () => {
    const { s, auth, url } = await sim({ pveVersion: 9 });
    s.faults.set({ cluster: 'cluster1', node: 'pve3' }, { kind: 'timeout596' });
    const t = await simRequest(url(0), '/nodes/pve3/status', { auth });
    expect([t.status, t.reason, t.body]).toEqual([596, 'Connection timed out', '']);
    expect((await simRequest(url(0), '/nodes/pve1/status', { auth })).status).toBe(200);

    s.faults.set({ cluster: 'cluster1', path: '/cluster/resources' }, { kind: 'error500', message: 'cluster not ready - no quorum?' });
    const e = await simRequest(url(0), '/cluster/resources', { auth });
    expect([e.status, e.reason]).toEqual([500, 'cluster not ready - no quorum?']);
    expect(e.json).toEqual({ data: null, message: 'cluster not ready - no quorum?\n' });
    expect((await simRequest(url(0), '/cluster/status', { auth })).status).toBe(200);

    s.faults.set({ cluster: 'cluster1', node: 'pve1' }, { kind: 'auth401', delayMs: 80 });
    const t0 = Date.now();
    const a = await simRequest(url(0), '/version', { auth });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(75);
    expect([a.status, a.reason, a.body]).toEqual([401, 'Authentication failed!', '']);
    expect((await simRequest(url(1), '/version', { auth })).status).toBe(200);

    s.faults.clear();
    s.faults.set({ cluster: 'cluster1', node: 'pve2', path: /^\/nodes$/ }, { kind: 'malformed' });
    const m = await simRequest(url(1), '/nodes', { auth });
    expect(m.status).toBe(200);
    expect(() => JSON.parse(m.body)).toThrow();
  });

  it('hang never answers; latency delays; stats count the requests', async () => {
    const { s, auth, url } = await sim({ latencyMs: 30 });
    const t0 = Date.now();
    await simRequest(url(0), '/version', { auth });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(28);
    s.faults.set({ cluster: 'cluster1', node: 'pve1' }, { kind: 'hang' });
    await expect(simRequest(url(0), '/version', { auth, timeoutMs: 300 })).rejects.toThrow('timeout');
    expect(s.stats().byPath['/version']).toBe(2);
  });

  it('certChanged: that endpoint serves another certificate, and /nodes publishes its fingerprint', async () => {
    const { s, auth, url } = await sim();
    const leaf = new X509Certificate(s.certPem);
    expect(leaf.checkIssued(new X509Certificate(s.caPem!))).toBe(true);
    expect(leaf.fingerprint256).toBe(s.fingerprint);
    const colon = (fp: string) => fp.toUpperCase();
    expect(colon(await peerFingerprint(url(0)))).toBe(s.fingerprint);
    s.faults.set({ cluster: 'cluster1', node: 'pve1' }, { kind: 'certChanged' });
    const changed = colon(await peerFingerprint(url(0)));
    expect(changed).not.toBe(s.fingerprint);
    expect(changed).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    expect(colon(await peerFingerprint(url(1)))).toBe(s.fingerprint);
    const nodes = (await simRequest(url(1), '/nodes', { auth })).json as { data: Row[] };
    expect(nodes.data.find((n) => n.node === 'pve1')?.ssl_fingerprint).toBe(changed);
    // Trusting the cluster CA fails against the changed endpoint and works again once cleared.
    await expect(simRequest(url(0), '/version', { auth, ca: s.caPem! })).rejects.toThrow();
    s.faults.clear();
    expect((await simRequest(url(0), '/version', { auth, ca: s.caPem! })).status).toBe(200);
  });
});
