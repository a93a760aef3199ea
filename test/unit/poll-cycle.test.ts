// The poller with in-memory fake clients: what it asks, in which cases, and what it keeps.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createPoller } from '../../agent/poll/poll-cycle.ts';
import { createLogger } from '../../agent/log/logger.ts';
import { PmiError } from '../../agent/errors.ts';
import type { PveClient, Query, RequestOptions } from '../../agent/pve/pve-client.types.ts';

const fx = (name: string): unknown => (JSON.parse(readFileSync(new URL(`../fixtures/pve/handwritten/${name}`, import.meta.url), 'utf8')) as { data: unknown }).data;
const log = createLogger({ level: 'silent' });

type Answer = unknown | ((path: string) => unknown);
function fakeClient(name: string, answers: Record<string, Answer>, opts: { delayMs?: (path: string) => number; onCall?: (path: string) => void } = {}): PveClient & { calls: string[] } {
  const calls: string[] = [];
  return {
    cluster: name,
    timeoutMs: 1000,
    calls,
    endpoint: () => `https://${name}:8006`,
    async get<T>(path: string, _q?: Query, o?: RequestOptions): Promise<T> {
      calls.push(path);
      opts.onCall?.(path);
      if (o?.stats) o.stats.requests++;
      const d = opts.delayMs?.(path) ?? 0;
      if (d) await new Promise((r) => setTimeout(r, d));
      const key = Object.keys(answers).find((k) => k === path) ?? Object.keys(answers).find((k) => k.endsWith('*') && path.startsWith(k.slice(0, -1)));
      if (!key) throw new PmiError('PVE_HTTP', `no answer for ${path}`, { details: { status: 501 } });
      const a = answers[key];
      const v = typeof a === 'function' ? (a as (p: string) => unknown)(path) : a;
      if (v instanceof Error) {
        if (o?.stats) o.stats.errors++;
        throw v;
      }
      return v as T;
    },
    post: () => Promise.reject(new Error('no')),
    delete: () => Promise.reject(new Error('no')),
    takeStats: () => ({ requests: 0, errors: 0, retries: 0 }),
    close: () => Promise.resolve(),
  };
}

const standard = (): Record<string, Answer> => ({
  '/version': fx('version-pve9.json'),
  '/cluster/status': fx('cluster-status.json'),
  '/cluster/resources': fx('cluster-resources.json'),
  '/cluster/tasks': fx('cluster-tasks.json'),
  '/nodes/*': fx('node-status-pve9.json'),
});

describe('createPoller', () => {
  it('asks 4 + one per ONLINE node, /version only every N cycles, tasks only once', async () => {
    const c = fakeClient('prod', standard());
    let t = 1_700_000_000_000;
    const p = createPoller({ clients: new Map([['prod', c]]), log, now: () => (t += 10_000), concurrency: 2, versionEveryCycles: 3 });
    const r1 = (await p.pollAll())[0]!;
    expect(c.calls.sort()).toEqual(['/cluster/resources', '/cluster/status', '/cluster/tasks', '/nodes/pve1/status', '/nodes/pve2/status', '/version']);
    expect(r1.requests).toBe(6);
    expect(r1.snapshot!.tasks).toHaveLength(4);
    expect(r1.snapshot!.info).toMatchObject({ pveName: 'prod', quorate: true, pveVersion: '9.0.4', pveRelease: '9.0' });
    c.calls.length = 0;
    const r2 = (await p.pollAll())[0]!;
    expect(c.calls).not.toContain('/version');
    expect(r2.snapshot!.tasks).toHaveLength(0); // nothing new
    await p.pollAll();
    c.calls.length = 0;
    await p.pollAll();
    expect(c.calls).toContain('/version');
  });

  it('a failed /cluster/tasks is a warning, a failed /cluster/resources fails the cluster', async () => {
    const a = fakeClient('a', { ...standard(), '/cluster/tasks': new PmiError('PVE_FORBIDDEN', 'permission denied') });
    const b = fakeClient('b', { ...standard(), '/cluster/status': [{ type: 'cluster', name: 'other', nodes: 1, quorate: 1 }, { type: 'node', name: 'x', online: 1 }], '/cluster/resources': new PmiError('PVE_HTTP', '500 boom') });
    const p = createPoller({ clients: new Map([['a', a], ['b', b]]), log, now: () => Date.now(), concurrency: 2 });
    const [ra, rb] = await p.pollAll();
    expect(ra).toMatchObject({ ok: true, warnings: [expect.stringContaining('/cluster/tasks failed')] });
    expect(ra!.snapshot!.tasks).toEqual([]);
    expect(rb).toMatchObject({ ok: false, error: { code: 'PVE_HTTP', message: '500 boom' } });
  });

  it('a non-list /cluster/resources is PVE_BAD_RESPONSE, not a crash', async () => {
    const c = fakeClient('c', { ...standard(), '/cluster/resources': { oops: true } });
    const [r] = await createPoller({ clients: new Map([['c', c]]), log, now: () => Date.now(), concurrency: 1 }).pollAll();
    expect(r).toMatchObject({ ok: false, error: { code: 'PVE_BAD_RESPONSE' } });
  });

  it('never has more clusters in flight than the concurrency bound', async () => {
    let inFlight = 0;
    let peak = 0;
    const clients = new Map<string, PveClient>();
    for (let i = 0; i < 7; i++) {
      const name = `c${i}`;
      const base = fakeClient(name, { ...standard(), '/cluster/status': [{ type: 'cluster', name, nodes: 1, quorate: 1 }, { type: 'node', name: 'pve1', online: 1 }] }, {
        delayMs: () => 5,
        onCall: (path) => {
          if (path === '/version') {
            inFlight++;
            peak = Math.max(peak, inFlight);
          }
        },
      });
      const get = base.get.bind(base);
      base.get = async <T,>(path: string, q?: Query, o?: RequestOptions): Promise<T> => {
        const v = await get<T>(path, q, o);
        if (path.startsWith('/nodes/')) inFlight--;
        return v;
      };
      clients.set(name, base);
    }
    const results = await createPoller({ clients, log, now: () => Date.now(), concurrency: 3 }).pollAll();
    expect(results.every((r) => r.ok)).toBe(true);
    expect(peak).toBe(3);
  });

  it('two entries for one cluster: the earlier config entry wins while the later one is still polling', async () => {
    const a = fakeClient('a', standard(), { delayMs: (p) => (p === '/cluster/status' ? 30 : 0) });
    const b = fakeClient('b', standard(), { delayMs: (p) => (p.startsWith('/nodes/') ? 80 : 0) });
    const p = createPoller({ clients: new Map([['a', a], ['b', b]]), log, now: () => Date.now(), concurrency: 2 });
    const [ra, rb] = await p.pollAll();
    expect(ra!.snapshot).toBeDefined();
    expect(rb).toMatchObject({ ok: true, duplicateOf: 'a' });
    expect(rb!.snapshot).toBeUndefined();
    b.calls.length = 0;
    const [, rb2] = await p.pollAll();
    expect(rb2).toMatchObject({ duplicateOf: 'a', requests: 0 });
    expect(b.calls).toEqual([]);
  });

  it('…but a later entry that already finished keeps the cluster (stored once, under one name)', async () => {
    const a = fakeClient('a', standard(), { delayMs: (p) => (p === '/cluster/status' ? 40 : 0) });
    const b = fakeClient('b', standard());
    const p = createPoller({ clients: new Map([['a', a], ['b', b]]), log, now: () => Date.now(), concurrency: 2 });
    const [ra, rb] = await p.pollAll();
    expect(rb!.snapshot).toBeDefined();
    expect(ra).toMatchObject({ ok: true, duplicateOf: 'b' });
    const [ra2, rb2] = await p.pollAll();
    expect(rb2!.snapshot).toBeDefined();
    expect(ra2).toMatchObject({ duplicateOf: 'b', requests: 0 });
  });

  it('in steady state a cluster costs two round trips: cluster-wide reads together, then the nodes', async () => {
    const rtt = 60;
    const c = fakeClient('prod', standard(), { delayMs: () => rtt });
    const p = createPoller({ clients: new Map([['prod', c]]), log, now: () => Date.now(), concurrency: 1 });
    const r1 = (await p.pollAll())[0]!; // the first cycle probes /cluster/status alone: three round trips
    expect(r1.durationMs).toBeGreaterThanOrEqual(3 * rtt - 5);
    const r2 = (await p.pollAll())[0]!;
    expect(r2.ok).toBe(true);
    expect(r2.durationMs).toBeGreaterThanOrEqual(2 * rtt - 5);
    expect(r2.durationMs).toBeLessThan(3 * rtt - 5);
  });
  it('pollAll({ signal }): a stop cancels the hanging request at once and starts no further cluster', async () => {
    const hang = (path: string, o?: RequestOptions) =>
      new Promise((_, reject) => {
        const cancel = () => reject(new PmiError('PVE_TIMEOUT', `${path} cancelled`));
        if (o?.signal?.aborted) cancel();
        o?.signal?.addEventListener('abort', cancel, { once: true });
      });
    const a = fakeClient('a', standard());
    const get = a.get.bind(a);
    a.get = <T>(path: string, q?: Query, o?: RequestOptions): Promise<T> => (path === '/cluster/resources' ? (hang(path, o) as Promise<T>) : get<T>(path, q, o));
    const b = fakeClient('b', standard());
    const p = createPoller({ clients: new Map([['a', a], ['b', b]]), log, now: () => Date.now(), concurrency: 1 });
    const stop = new AbortController();
    setTimeout(() => stop.abort(), 30);
    const t0 = Date.now();
    const [ra, rb] = await p.pollAll({ signal: stop.signal });
    // without the signal, a would hold the cycle for its budget (its timeoutMs = 1 s)
    expect(Date.now() - t0).toBeLessThan(500);
    expect(ra).toMatchObject({ cluster: 'a', ok: false, cancelled: true, error: { code: 'PVE_TIMEOUT' } });
    expect(ra!.snapshot).toBeUndefined();
    expect(rb).toMatchObject({ cluster: 'b', ok: false, cancelled: true, requests: 0 });
    expect(b.calls).toEqual([]);
    // the next cycle (no stop) polls normally
    a.get = get;
    expect((await p.pollAll()).map((r) => r.ok)).toEqual([true, true]);
  });
});
