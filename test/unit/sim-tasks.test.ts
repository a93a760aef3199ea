// Lifecycle POSTs, tasks and their effects against pve-api.md §6 and §7, on a controlled clock.
import { afterEach, describe, expect, it } from 'vitest';
import { parseUpid } from '../../agent/pve/upid.ts';
import { startSimulator, type SimHandle } from '../../scripts/pve-sim/index.ts';
import { simRequest, tokenHeader } from '../../scripts/pve-sim/sim-client.ts';
import type { SimGuest } from '../../scripts/pve-sim/types.ts';

type Row = Record<string, unknown>;
const T0 = Date.UTC(2026, 10, 27, 9, 30, 0);
const running: SimHandle[] = [];

async function sim(opts: Parameters<typeof startSimulator>[0] = {}) {
  const clock = { now: T0 };
  const s = await startSimulator({ authFailDelayMs: 1, taskTimeScale: 1, now: () => clock.now, ...opts });
  running.push(s);
  const auth = tokenHeader(s.tokenId, s.tokenSecret);
  const base = s.clusters[0]!.endpoints[0]!.url;
  const call = (method: string, p: string, form?: Record<string, string | number>) => simRequest(base, p, { auth, method, ...(form ? { form } : {}) });
  const get = async (p: string) => ((await call('GET', p)).json as { data: unknown }).data;
  const taskStatus = async (upid: string) => (await get(`/nodes/${parseUpid(upid)!.node}/tasks/${encodeURIComponent(upid)}/status`)) as Row;
  const find = (pred: (g: SimGuest) => boolean) => [...s.world.clusters[0]!.guests.values()].find(pred)!;
  return { s, clock, call, get, taskStatus, find };
}

afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.stop()));
});

const plain = (g: SimGuest) => g.hastate === undefined && g.lock === undefined && g.template === 0;

describe('simulated lifecycle and tasks', () => {
  it('qemu shutdown: UPID in the real format, task running then stopped OK, guest stopped afterwards', async () => {
    const { s, clock, call, taskStatus, find } = await sim();
    const g = find((x) => x.type === 'qemu' && x.qmpstatus === 'running' && plain(x) && !x.ignoresAcpi);
    const r = await call('POST', `/nodes/${g.node}/qemu/${g.vmid}/status/shutdown`);
    expect(r.status).toBe(200);
    const upid = (r.json as { data: string }).data;
    const u = parseUpid(upid)!;
    expect(u).toMatchObject({ node: g.node, type: 'qmshutdown', id: String(g.vmid), user: 'pmi@pve', tokenid: 'agent', starttime: T0 / 1000 });
    expect(upid).toMatch(/^UPID:[a-z0-9-]+:[0-9A-F]{8}:[0-9A-F]{8,9}:[0-9A-F]{8}:qmshutdown:\d+:pmi@pve!agent:$/);

    expect(await taskStatus(upid)).toMatchObject({ status: 'running', pid: u.pid, pstart: u.pstart, user: 'pmi@pve', tokenid: 'agent' });
    expect((await taskStatus(upid)).exitstatus).toBeUndefined();
    expect(g.status).toBe('running');
    clock.now += 11_000;
    expect(await taskStatus(upid)).toMatchObject({ status: 'stopped', exitstatus: 'OK' });
    expect(g.status).toBe('stopped');
    const log = (await call('GET', `/nodes/${g.node}/tasks/${encodeURIComponent(upid)}/log`)).json as { data: Array<{ n: number; t: string }>; total: number };
    expect(log.data.at(-1)).toEqual({ n: log.total, t: 'TASK OK' });
    const list = (await call('GET', '/cluster/tasks')).json as { data: Row[] };
    expect(list.data[0]).toMatchObject({ upid, status: 'OK', endtime: expect.any(Number) });
    expect(s.stats().byRoute['POST /nodes/{node}/qemu/{vmid}/status/shutdown']).toBe(1);
  });

  it('start after stop resets uptime and counters', async () => {
    const { clock, call, get, find, s } = await sim();
    const g = find((x) => x.type === 'lxc' && x.status === 'running' && plain(x));
    const cur = async () => (await get(`/nodes/${g.node}/lxc/${g.vmid}/status/current`)) as Row;
    const before = await cur();
    expect((await call('POST', `/nodes/${g.node}/lxc/${g.vmid}/status/stop`)).status).toBe(200);
    clock.now += 3_000;
    // The world advances lazily (on each request or explicitly), so fake clocks work.
    expect(g.status).toBe('running');
    s.world.advance();
    expect(g.status).toBe('stopped');
    expect((await call('POST', `/nodes/${g.node}/lxc/${g.vmid}/status/start`)).status).toBe(200);
    clock.now += 5_000;
    await cur();
    clock.now += 60_000;
    const after = await cur();
    expect(after.status).toBe('running');
    expect(after.uptime as number).toBeLessThan(before.uptime as number);
    expect(after.uptime as number).toBeGreaterThanOrEqual(60);
    expect(after.netin as number).toBeLessThan(before.netin as number);
  });

  it('pre-check failures are synchronous 500s; worker failures show only in exitstatus', async () => {
    const { clock, call, taskStatus, find } = await sim();
    const ct = find((x) => x.type === 'lxc' && x.status === 'running' && plain(x));
    const again = await call('POST', `/nodes/${ct.node}/lxc/${ct.vmid}/status/start`);
    expect([again.status, again.reason]).toEqual([500, `CT ${ct.vmid} already running`]);
    const off = find((x) => x.type === 'qemu' && x.status === 'stopped' && plain(x));
    const reboot = await call('POST', `/nodes/${off.node}/qemu/${off.vmid}/status/reboot`);
    expect([reboot.status, reboot.reason]).toEqual([500, `VM ${off.vmid} not running`]);
    const paused = find((x) => x.qmpstatus === 'paused');
    const sd = await call('POST', `/nodes/${paused.node}/qemu/${paused.vmid}/status/shutdown`);
    expect([sd.status, sd.reason]).toEqual([500, 'VM is paused - cannot shutdown']);

    const vm = find((x) => x.type === 'qemu' && x.qmpstatus === 'running' && plain(x));
    const r = await call('POST', `/nodes/${vm.node}/qemu/${vm.vmid}/status/start`);
    expect(r.status).toBe(200);
    clock.now += 5_000;
    expect(await taskStatus((r.json as { data: string }).data)).toMatchObject({ status: 'stopped', exitstatus: `VM ${vm.vmid} already running` });
  });

  it('a guest that ignores ACPI times out a shutdown without forceStop, and stops with it', async () => {
    const { clock, call, taskStatus, find } = await sim();
    const g = find((x) => x.ignoresAcpi);
    const r = await call('POST', `/nodes/${g.node}/qemu/${g.vmid}/status/shutdown`, { timeout: 30 });
    clock.now += 31_000;
    expect(await taskStatus((r.json as { data: string }).data)).toMatchObject({ status: 'stopped', exitstatus: 'VM quit/powerdown failed - got timeout' });
    expect(g.status).toBe('running');
    const f = await call('POST', `/nodes/${g.node}/qemu/${g.vmid}/status/shutdown`, { timeout: 30, forceStop: 1 });
    clock.now += 31_000;
    expect(await taskStatus((f.json as { data: string }).data)).toMatchObject({ exitstatus: 'OK' });
    expect(g.status).toBe('stopped');
  });

  it('HA-managed guest: hastop task finishes quickly OK, the state follows seconds later', async () => {
    const { clock, call, taskStatus, find } = await sim();
    const g = find((x) => x.hastate === 'started' && x.status === 'running');
    const r = await call('POST', `/nodes/${g.node}/${g.type}/${g.vmid}/status/shutdown`);
    const upid = (r.json as { data: string }).data;
    expect(parseUpid(upid)!.type).toBe('hastop');
    clock.now += 1_500;
    expect(await taskStatus(upid)).toMatchObject({ status: 'stopped', exitstatus: 'OK' });
    expect(g.status).toBe('running');
    clock.now += 7_000;
    await taskStatus(upid);
    expect([g.status, g.hastate]).toEqual(['stopped', 'stopped']);
  });

  it('snapshots: create, list, roll back, delete', async () => {
    const { clock, call, get, taskStatus, find } = await sim();
    const g = find((x) => x.type === 'qemu' && x.status === 'running' && plain(x));
    const path = `/nodes/${g.node}/qemu/${g.vmid}/snapshot`;
    expect((await call('POST', path)).status).toBe(400);
    const c = await call('POST', path, { snapname: 'pre-test', description: 'before the test' });
    expect(g.lock).toBe('snapshot');
    clock.now += 7_000;
    expect(await taskStatus((c.json as { data: string }).data)).toMatchObject({ exitstatus: 'OK' });
    const list = (await get(path)) as Row[];
    expect(list.map((x) => x.name)).toContain('pre-test');
    expect(list.at(-1)).toMatchObject({ name: 'current', parent: 'pre-test', running: 1 });
    const dup = await call('POST', path, { snapname: 'pre-test' });
    clock.now += 7_000;
    expect((await taskStatus((dup.json as { data: string }).data)).exitstatus).toBe("snapshot name 'pre-test' already used");
    const rb = await call('POST', `${path}/pre-test/rollback`, { start: 1 });
    clock.now += 7_000;
    expect((await taskStatus((rb.json as { data: string }).data)).exitstatus).toBe('OK');
    expect(g.status).toBe('running');
    const del = await call('DELETE', `${path}/pre-test`);
    clock.now += 5_000;
    expect((await taskStatus((del.json as { data: string }).data)).exitstatus).toBe('OK');
    expect(((await get(path)) as Row[]).map((x) => x.name)).not.toContain('pre-test');
  });

  it('migrate moves the guest to the target node and resets its counters; old node URLs then fail', async () => {
    const { clock, call, get, taskStatus, find, s } = await sim();
    const g = find((x) => x.type === 'qemu' && x.qmpstatus === 'running' && plain(x));
    const from = g.node;
    const target = s.world.clusters[0]!.nodes.find((n) => n.name !== from)!.name;
    const refused = await call('POST', `/nodes/${from}/qemu/${g.vmid}/migrate`, { target });
    expect([refused.status, refused.reason]).toEqual([500, "can't migrate running VM without --online"]);
    const r = await call('POST', `/nodes/${from}/qemu/${g.vmid}/migrate`, { target, online: 1 });
    const upid = (r.json as { data: string }).data;
    expect(parseUpid(upid)!.type).toBe('qmigrate');
    clock.now += 21_000;
    expect((await taskStatus(upid)).exitstatus).toBe('OK');
    const res = ((await get('/cluster/resources?type=vm')) as Row[]).find((x) => x.vmid === g.vmid)!;
    expect(res.node).toBe(target);
    expect(res.uptime as number).toBeLessThan(30);
    const old = await call('GET', `/nodes/${from}/qemu/${g.vmid}/status/current`);
    expect(old.status).toBe(500);
  });

  it('a taskFail fault makes the next task of that guest fail with the given text', async () => {
    const { clock, call, taskStatus, find, s } = await sim();
    const g = find((x) => x.type === 'lxc' && x.status === 'running' && plain(x));
    s.faults.set({ cluster: 'cluster1' }, { kind: 'taskFail', vmid: g.vmid, message: 'command \'lxc-stop -n 1\' failed: exit code 1' });
    const r = await call('POST', `/nodes/${g.node}/lxc/${g.vmid}/status/stop`);
    clock.now += 3_000;
    expect((await taskStatus((r.json as { data: string }).data)).exitstatus).toBe("command 'lxc-stop -n 1' failed: exit code 1");
    expect(g.status).toBe('running');
    const log = (await call('GET', `/nodes/${g.node}/tasks/${encodeURIComponent((r.json as { data: string }).data)}/log`)).json as { data: Array<{ t: string }> };
    expect(log.data.at(-1)!.t).toBe("TASK ERROR: command 'lxc-stop -n 1' failed: exit code 1");
  });
});

describe('simulated cluster-level refusals', () => {
  it('refuses skiplock for a token and starts without quorum with the real messages', async () => {
    const { call, find, s } = await sim();
    const g = find((x) => x.type === 'qemu' && x.status === 'stopped' && plain(x));
    const skip = await call('POST', `/nodes/${g.node}/qemu/${g.vmid}/status/start`, { skiplock: 1 });
    expect([skip.status, skip.json]).toEqual([400, { data: null, errors: { skiplock: 'Only root may use this option.' }, message: 'Parameter verification failed.\n' }]);
    // Two of three nodes down: the answering node has lost quorum.
    const onlineNode = s.clusters[0]!.endpoints[0]!.node;
    for (const n of s.world.clusters[0]!.nodes) if (n.name !== onlineNode) s.faults.set({ cluster: 'cluster1', node: n.name }, { kind: 'offline' });
    const local = find((x) => x.type === 'qemu' && x.status === 'stopped' && plain(x) && x.node === onlineNode);
    const r = await call('POST', `/nodes/${onlineNode}/qemu/${local.vmid}/status/start`);
    expect([r.status, r.reason]).toEqual([500, 'cluster not ready - no quorum?']);
    const st = ((await call('GET', '/cluster/status')).json as { data: Row[] }).data;
    expect(st[0]).toMatchObject({ type: 'cluster', quorate: 0 });
  });
});
