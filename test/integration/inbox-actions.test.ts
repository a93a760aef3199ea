// The inbox against the real simulator over real HTTPS: every action is posted, its task followed
// and the guest's state verified; HA guests are judged by their state; failures and retries.
import { readFile, readdir } from 'node:fs/promises';
import pino from 'pino';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInbox, type Inbox } from '../../agent/inbox/inbox.ts';
import type { PveClient } from '../../agent/pve/pve-client.types.ts';
import type { Store } from '../../agent/store/open-database.ts';
import { startSimulator, type SimHandle } from '../../scripts/pve-sim/index.ts';
import type { SimGuest } from '../../scripts/pve-sim/types.ts';
import { accessOf, clientsFor, drop, openTestDb, request, resultOf, seedInventory, tempDir, testActionsConfig, testLog, waitFor } from './inbox-harness.ts';

let sim: SimHandle;
let store: Store;
let inbox: Inbox;
let dir: string;
let clients: Map<string, PveClient>;
let cluster: string;
const posts: Array<{ id: string; at: number }> = [];
const auditLines: Array<Record<string, unknown>> = [];

beforeAll(async () => {
  sim = await startSimulator({ seed: 3, guests: 40, taskTimeScale: 0.02 });
  cluster = sim.clusters[0]!.name;
  const root = await tempDir('pmi-inbox-act-');
  dir = join(root, 'inbox');
  store = await openTestDb(root);
  await seedInventory(store.db, sim);
  clients = clientsFor(accessOf(sim), testLog());
  inbox = createInbox({
    dir, db: store.db, clients, log: testLog(), now: () => Date.now(),
    auditLog: pino({ level: 'info' }, { write: (l: string) => void auditLines.push(JSON.parse(l) as Record<string, unknown>) }),
    config: testActionsConfig({ concurrency: 4, maxAttempts: 3, retryBaseMs: 100 }),
    hooks: { onPost: (id, at) => posts.push({ id, at }) },
  });
  await inbox.start();
});

afterAll(async () => {
  await inbox?.stop();
  for (const c of clients?.values() ?? []) await c.close();
  await store?.close();
  await sim?.stop();
});

const guests = () => [...sim.world.clusters[0]!.guests.values()].filter((g) => g.template === 0 && !g.lock);
function pick(pred: (g: SimGuest) => boolean, taken: Set<number>): SimGuest {
  const g = guests().find((x) => pred(x) && !taken.has(x.vmid));
  if (!g) throw new Error('no suitable guest in the simulated world');
  taken.add(g.vmid);
  return g;
}
const taken = new Set<number>();
let seq = 0;
async function act(g: SimGuest, action: string, params?: object, extra?: object) {
  const id = `t-${action}-${g.vmid}-${seq++}`;
  await drop(dir, request(id, cluster, g.vmid, action, params, extra));
  const r = await resultOf(dir, id, 30_000);
  if (process.env.PMI_TEST_DEBUG) console.log(id, r.outcome, r.reason, JSON.stringify(r.verification));
  return r;
}

describe('inbox actions against the simulator', () => {
  it('stops, starts, reboots a QEMU VM and verifies each against fresh state', async () => {
    const g = pick((x) => x.type === 'qemu' && x.status === 'running' && x.qmpstatus === 'running' && !x.hastate && !x.ignoresAcpi, taken);
    const stop = await act(g, 'stop');
    expect(stop).toMatchObject({ outcome: 'done', exitstatus: 'OK', verification: { ok: true } });
    expect(stop.upid).toMatch(/^UPID:[^:]+:[0-9A-F]{8}:[0-9A-F]{8,9}:[0-9A-F]{8}:qmstop:/);
    expect(g.status).toBe('stopped');
    const start = await act(g, 'start');
    expect(start).toMatchObject({ outcome: 'done', verification: { ok: true, expected: 'status running, qmpstatus running' } });
    await new Promise((r) => setTimeout(r, 2100)); // uptime must be measurably > 0 before the reboot
    const reboot = await act(g, 'reboot', { timeoutSeconds: 60 });
    expect(reboot).toMatchObject({ outcome: 'done', verification: { ok: true } });
    // The result file carries every documented field.
    expect(Object.keys(reboot).sort()).toEqual(
      ['action', 'attempts', 'cluster', 'errorCode', 'exitstatus', 'file', 'fileName', 'folder', 'id', 'node', 'outcome', 'reason', 'request', 'submitter', 'timings', 'upid', 'verification', 'version', 'vmid'].sort(),
    );
    expect(reboot.timings.postedAt && reboot.timings.taskEndedAt && reboot.timings.finishedAt).toBeTruthy();
    expect(reboot.submitter.uid).toBe(process.getuid!());
    expect(reboot.attempts).toBe(1);
  });

  it('shuts down and starts a container, suspends and resumes a VM', async () => {
    const ct = pick((x) => x.type === 'lxc' && x.status === 'running' && !x.hastate, taken);
    expect(await act(ct, 'shutdown', { timeoutSeconds: 30 })).toMatchObject({ outcome: 'done', verification: { ok: true, expected: 'status stopped' } });
    expect(await act(ct, 'start')).toMatchObject({ outcome: 'done' });
    const vm = pick((x) => x.type === 'qemu' && x.status === 'running' && x.qmpstatus === 'running' && !x.hastate && !x.ignoresAcpi, taken);
    expect(await act(vm, 'suspend')).toMatchObject({ outcome: 'done', verification: { ok: true } });
    expect(vm.qmpstatus).toBe('paused');
    expect(await act(vm, 'resume')).toMatchObject({ outcome: 'done' });
    expect(await act(vm, 'reset')).toMatchObject({ outcome: 'done' });
  });

  it('creates, rolls back and deletes a snapshot', async () => {
    const g = pick((x) => x.type === 'qemu' && !x.hastate, taken);
    expect(await act(g, 'snapshot', { name: 'pmi-test', description: 'from the inbox test', includeRam: false })).toMatchObject({ outcome: 'done', verification: { ok: true } });
    expect(g.snapshots.some((s) => s.name === 'pmi-test')).toBe(true);
    expect(await act(g, 'rollback', { name: 'pmi-test' })).toMatchObject({ outcome: 'done' });
    expect(await act(g, 'delete-snapshot', { name: 'pmi-test' })).toMatchObject({ outcome: 'done', verification: { ok: true } });
    expect(g.snapshots.some((s) => s.name === 'pmi-test')).toBe(false);
  });

  it('migrates a VM to another node and verifies the new owner', async () => {
    const g = pick((x) => x.type === 'qemu' && !x.hastate && x.status === 'running', taken);
    const target = sim.clusters[0]!.endpoints.map((e) => e.node).find((n) => n !== g.node)!;
    const r = await act(g, 'migrate', { target, online: true });
    expect(r).toMatchObject({ outcome: 'done', verification: { ok: true, expected: `owner node ${target}` } });
    expect(g.node).toBe(target);
  });

  it('migrates a running container as a restart migration when online is asked (restart=1)', async () => {
    const g = pick((x) => x.type === 'lxc' && !x.hastate && x.status === 'running', taken);
    const target = sim.clusters[0]!.endpoints.map((e) => e.node).find((n) => n !== g.node)!;
    const r = await act(g, 'migrate', { target, online: true });
    expect(r, r.reason ?? '').toMatchObject({ outcome: 'done', verification: { ok: true } });
    expect(r.upid).toMatch(/:vzmigrate:/);
    expect(g.node).toBe(target);
  });

  it('a queued request whose expiry passes before its turn is rejected without any call', async () => {
    const g = pick((x) => x.type === 'qemu' && !x.hastate && x.status === 'running', taken);
    const now = Math.floor(Date.now() / 1000);
    const before = sim.stats().requests;
    const r = await act(g, 'stop', undefined, { notBefore: now + 2, expires: now + 1 });
    expect(r).toMatchObject({ outcome: 'rejected', errorCode: 'ACTION_EXPIRED' });
    expect(r.reason).toMatch(/expired .* nothing was sent/);
    expect(sim.stats().requests).toBe(before);
  });

  it('judges an HA-managed guest by its state, not by the quick hastop task', async () => {
    const g = pick((x) => Boolean(x.hastate) && x.status === 'running', taken);
    const r = await act(g, 'shutdown');
    expect(r).toMatchObject({ outcome: 'done', verification: { ok: true } });
    expect(r.upid).toMatch(/:hastop:/);
    expect(r.reason).toMatch(/HA-managed/);
    expect(g.status).toBe('stopped');
  });

  it('a failing task ends in failed/ with the exit status as the reason', async () => {
    const g = pick((x) => x.type === 'qemu' && x.status === 'running' && !x.hastate, taken);
    sim.faults.set({ cluster }, { kind: 'taskFail', vmid: g.vmid, message: 'VM quit/powerdown failed - got timeout' });
    const r = await act(g, 'shutdown');
    expect(r).toMatchObject({ outcome: 'failed', errorCode: 'ACTION_TASK_FAILED', exitstatus: 'VM quit/powerdown failed - got timeout' });
    expect(r.reason).toMatch(/got timeout/);
    const text = await readFile(join(dir, 'failed', r.fileName), 'utf8');
    expect(text).not.toContain(sim.tokenSecret);
  });

  it('retries transient errors with backoff, then succeeds without a second task', async () => {
    const g = pick((x) => x.type === 'qemu' && x.status === 'stopped' && !x.hastate && !x.lock, taken);
    sim.faults.set({ cluster, path: new RegExp(`/qemu/${g.vmid}/status/start$`) }, { kind: 'error500', message: 'temporary failure' });
    const id = `t-retry-${g.vmid}`;
    const route = 'POST /nodes/{node}/qemu/{vmid}/status/start';
    const before = sim.stats().byRoute[route] ?? 0;
    await drop(dir, request(id, cluster, g.vmid, 'start'));
    await waitFor(() => (sim.stats().byRoute[route] ?? 0) > before, 10_000, 'the first (failing) POST');
    sim.faults.clear({ cluster });
    const r = await resultOf(dir, id, 30_000);
    expect(r, r.reason ?? '').toMatchObject({ outcome: 'done' });
    expect(r.attempts).toBeGreaterThanOrEqual(2);
    const tasks = sim.world.clusters[0]!.tasks.filter((t) => t.id === String(g.vmid) && t.type === 'qmstart');
    expect(tasks).toHaveLength(1);
  });

  it('gives up after maxAttempts and the failed id may be dropped again', async () => {
    const g = pick((x) => x.type === 'qemu' && x.status === 'stopped' && !x.hastate && !x.lock, taken);
    sim.faults.set({ cluster, path: new RegExp(`/qemu/${g.vmid}/status/start$`) }, { kind: 'timeout596' });
    const id = `t-giveup-${g.vmid}`;
    await drop(dir, request(id, cluster, g.vmid, 'start'));
    const failed = await resultOf(dir, id, 30_000).finally(() => sim.faults.clear({ cluster }));
    expect(failed).toMatchObject({ outcome: 'failed', attempts: 3, errorCode: 'ACTION_PVE_ERROR' });
    expect(failed.reason).toMatch(/gave up after 3 attempts.*596/);
    expect(sim.world.clusters[0]!.tasks.some((t) => t.id === String(g.vmid) && t.type === 'qmstart')).toBe(false);
    await drop(dir, request(id, cluster, g.vmid, 'start'));
    const again = await (async () => {
      for (;;) {
        const { results } = await import('./inbox-harness.ts');
        const hit = (await results(dir)).find((x) => x.id === id && x.folder === 'done');
        if (hit) return hit;
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    expect(again.outcome).toBe('done');
    // A done id is now final: a third drop is a duplicate.
    await drop(dir, request(id, cluster, g.vmid, 'start'));
    await inbox.rescan();
    const dup = await (async () => {
      for (;;) {
        const { results } = await import('./inbox-harness.ts');
        const hit = (await results(dir)).find((x) => x.id === id && x.folder === 'rejected');
        if (hit) return hit;
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    expect(dup.errorCode).toBe('ACTION_DUPLICATE');
  });

  it('runs actions on one guest one at a time, in arrival order', async () => {
    const g = pick((x) => x.type === 'lxc' && x.status === 'running' && !x.hastate, taken);
    const plan = [['stop', 'a'], ['start', 'b'], ['stop', 'c']] as const;
    const ids = plan.map(([a, s]) => `seq-${s}-${a}-${g.vmid}`);
    for (const [i, [action]] of plan.entries()) await drop(dir, request(ids[i]!, cluster, g.vmid, action));
    await inbox.rescan();
    const rs = await Promise.all(ids.map((id) => resultOf(dir, id, 30_000)));
    expect(rs.map((r) => r.outcome)).toEqual(['done', 'done', 'done']);
    // Each POST only after the previous action finished (its task ended and was verified).
    for (let i = 1; i < rs.length; i++) {
      expect(Date.parse(rs[i]!.timings.postedAt!)).toBeGreaterThanOrEqual(Date.parse(rs[i - 1]!.timings.taskEndedAt!));
    }
    expect(g.status).toBe('stopped');
  });

  it('waits for notBefore (the request stays queued) and then runs it', async () => {
    const g = pick((x) => x.type === 'qemu' && x.status === 'running' && !x.hastate && !x.lock, taken);
    const notBefore = Math.ceil(Date.now() / 1000) + 2;
    const id = `t-later-${g.vmid}`;
    await drop(dir, request(id, cluster, g.vmid, 'stop', undefined, { notBefore }));
    await new Promise((r) => setTimeout(r, 500));
    const row = await store.db.selectFrom('actions').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    expect(row.state).toBe('queued');
    const r = await resultOf(dir, id, 30_000);
    expect(r.outcome).toBe('done');
    expect(Date.parse(r.timings.postedAt!)).toBeGreaterThanOrEqual(notBefore * 1000);
  });

  it('writes one audit line per step and never the token secret', async () => {
    const id = (await store.db.selectFrom('actions').select('id').where('action', '=', 'reboot').executeTakeFirstOrThrow()).id;
    expect(auditLines.filter((l) => l.id === id).map((l) => l.event)).toEqual(['accepted', 'posting', 'posted', 'task-ended', 'finished']);
    expect(auditLines.find((l) => l.id === id && l.event === 'finished')).toMatchObject({ outcome: 'done', upid: expect.stringMatching(/^UPID:/) as unknown, submitter: expect.any(String) as unknown });
    const everything = [JSON.stringify(auditLines), JSON.stringify(await store.db.selectFrom('actions').selectAll().execute())];
    for (const f of ['done', 'failed', 'rejected']) for (const n of await readdir(join(dir, f))) everything.push(await readFile(join(dir, f, n), 'utf8'));
    for (const text of everything) expect(text).not.toContain(sim.tokenSecret);
  });

  it('npm run submit writes a valid request and --wait returns the outcome as exit code', async () => {
    const { main } = await import('../../scripts/submit-action.ts');
    const g = pick((x) => x.type === 'lxc' && x.status === 'running' && !x.hastate, taken);
    const out: string[] = [];
    const write = process.stdout.write.bind(process.stdout);
    const errWrite = process.stderr.write.bind(process.stderr);
    process.stdout.write = ((s: string) => out.push(s) > 0) as typeof process.stdout.write;
    process.stderr.write = (() => true) as typeof process.stderr.write;
    try {
      const base = ['--inbox', dir, '--cluster', cluster, '--vmid', String(g.vmid)];
      expect(await main([...base, '--action', 'stop', '--id', `submit-${g.vmid}`, '--reason', 'test', '--wait', '30', '--json'])).toBe(0);
      expect(JSON.parse(out.join(''))).toMatchObject({ id: `submit-${g.vmid}`, outcome: 'done', request: { reason: 'test' } });
      out.length = 0;
      expect(await main([...base, '--action', 'reset', '--wait', '30'])).toBe(2); // reset is QEMU-only
      expect(out.join('')).toMatch(new RegExp(`^rejected: reset ${cluster}/${g.vmid} in \\d+\\.\\d s — ACTION_INVALID: .+\\n$`));
      expect(await main([...base, '--action', 'snapshot'])).toBe(64); // --name missing
    } finally {
      process.stdout.write = write;
      process.stderr.write = errWrite;
    }
  });

  it('records every request in the actions table', async () => {
    const rows = await store.db.selectFrom('actions').selectAll().execute();
    expect(rows.length).toBeGreaterThan(10);
    for (const r of rows) {
      expect(r.outcome).not.toBeNull();
      expect(['done', 'failed', 'rejected']).toContain(r.state);
    }
    expect(rows.filter((r) => r.upid).every((r) => r.upid!.startsWith('UPID:'))).toBe(true);
  });
});
