// The simulator's auth, envelope and error shapes against pve-api.md §1 and §2.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type SimHandle } from '../../scripts/pve-sim/index.ts';
import { simRequest, tokenHeader } from '../../scripts/pve-sim/sim-client.ts';

describe('simulator auth and envelope (PVE 8.4 profile)', () => {
  let sim: SimHandle;
  let base: string;
  let auth: string;
  beforeAll(async () => {
    sim = await startSimulator({ authFailDelayMs: 120 });
    base = sim.clusters[0]!.endpoints[0]!.url;
    auth = tokenHeader(sim.tokenId, sim.tokenSecret);
  });
  afterAll(() => sim.stop());

  it('answers a request without credentials with "401 No ticket", an empty body, after the delay', async () => {
    const t0 = Date.now();
    const r = await simRequest(base, '/version');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(110);
    expect([r.status, r.reason, r.body]).toEqual([401, 'No ticket', '']);
    expect(r.headers.connection).toBe('close');
  });

  it('answers a wrong secret with "401 Authentication failed!" and an empty body', async () => {
    const r = await simRequest(base, '/version', { auth: tokenHeader(sim.tokenId, 'not-the-secret') });
    expect([r.status, r.reason, r.body]).toEqual([401, 'Authentication failed!', '']);
    const wrongId = await simRequest(base, '/version', { auth: tokenHeader('root@pam!agent', sim.tokenSecret) });
    expect(wrongId.status).toBe(401);
  });

  it('accepts both "PVEAPIToken=" and "PVEAPIToken " and wraps data in the envelope', async () => {
    const a = await simRequest(base, '/version', { auth });
    const b = await simRequest(base, '/version', { auth: `PVEAPIToken ${sim.tokenId}=${sim.tokenSecret}` });
    expect(a.status).toBe(200);
    expect(b.json).toEqual(a.json);
    expect(a.json).toEqual({ data: { version: '8.4.1', release: '8.4', repoid: expect.stringMatching(/^[0-9a-f]{16}$/) } });
    expect(a.headers.server).toBe('pve-api-daemon/3.0');
  });

  it('shapes errors as §1.3: 501 unknown path, 500 unknown node, 500 wrong owner node, 400 param errors', async () => {
    const unknown = await simRequest(base, '/nodes/pve1/frobnicate', { auth });
    expect([unknown.status, unknown.reason]).toEqual([501, "Method 'GET /nodes/pve1/frobnicate' not implemented"]);
    expect(unknown.json).toEqual({ data: null, message: "Method 'GET /nodes/pve1/frobnicate' not implemented\n" });

    const node = await simRequest(base, '/nodes/ghost/status', { auth });
    expect(node.status).toBe(500);
    expect(node.reason).toMatch(/^hostname lookup 'ghost' failed/);

    const g = [...sim.world.clusters[0]!.guests.values()].find((x) => x.type === 'qemu')!;
    const other = sim.world.clusters[0]!.nodes.find((n) => n.name !== g.node)!.name;
    const owner = await simRequest(base, `/nodes/${other}/qemu/${g.vmid}/status/current`, { auth });
    expect([owner.status, owner.reason]).toEqual([500, `Configuration file 'nodes/${other}/qemu-server/${g.vmid}.conf' does not exist`]);
    expect(owner.headers.connection).toBe('close');

    const param = await simRequest(base, '/nodes/pve1/rrddata', { auth });
    expect([param.status, param.reason]).toEqual([400, 'Parameter verification failed.']);
    expect(param.json).toEqual({ data: null, errors: { timeframe: 'property is missing and it is not optional' }, message: 'Parameter verification failed.\n' });
  });

  it('gzips bodies over 1 KiB only for clients that accept it', async () => {
    const plain = await simRequest(base, '/cluster/resources', { auth });
    const zipped = await simRequest(base, '/cluster/resources', { auth, acceptGzip: true });
    const small = await simRequest(base, '/version', { auth, acceptGzip: true });
    expect([plain.encoding, zipped.encoding, small.encoding]).toEqual(['', 'gzip', '']);
    expect(zipped.json).toEqual(plain.json);
  });

  it('counts requests by route template and method', async () => {
    sim.resetStats();
    await simRequest(base, '/nodes/pve1/status', { auth });
    await simRequest(base, '/nodes/pve2/status', { auth });
    const s = sim.stats();
    expect(s.requests).toBe(2);
    expect(s.byPath['/nodes/{node}/status']).toBe(2);
    expect(s.byMethod.GET).toBe(2);
  });
});

describe('simulator error bodies before pve-http-server 5.2.0 (PVE 7 profile)', () => {
  it('has no message field in JSON error bodies', async () => {
    const sim = await startSimulator({ pveVersion: 7, authFailDelayMs: 1 });
    try {
      const r = await simRequest(sim.clusters[0]!.endpoints[0]!.url, '/nodes/pve1/qemu/99999/status/current', { auth: tokenHeader(sim.tokenId, sim.tokenSecret) });
      expect(r.status).toBe(500);
      expect(r.json).toEqual({ data: null });
    } finally {
      await sim.stop();
    }
  });
});
