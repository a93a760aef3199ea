// The site holder's coherent fleet cycle with real processes on PostgreSQL (issue 17 item 5): two
// real agents (agent/bin/pmi-agent.ts run), each with its own cluster, one database on the test
// run's throw-away server. The holder of `*site` fires last in the interval and, before its fleet
// duties, waits for the other agent's cluster to be polled in the same interval: a site it builds
// then shows both clusters from one interval. Every wait is bounded by events seen in the
// database or the agents' output and fails with both agents' output; no duration is asserted.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPgStore, type PgStore } from '../../agent/store/open-store.ts';
import { createTestDatabase } from '../support/store-backends.ts';
import { startSimulator, type SimHandle } from '../../scripts/pve-sim/index.ts';

const REPO = resolve(import.meta.dirname, '../..');
const INTERVAL = 5;
const WAIT_MS = 120_000;

interface Agent { id: string; child?: ChildProcess; out: string }

let sim: SimHandle;
let root: string;
let pg: { url: string; drop(): Promise<void> };
let store: PgStore;
const agents: Agent[] = [];

function start(id: string, cluster: string): Agent {
  const dir = join(root, id);
  mkdirSync(dir);
  writeFileSync(join(dir, 'token'), sim.tokenSecret + '\n', { mode: 0o600 });
  const c = sim.clusters.find((x) => x.name === cluster)!;
  const config = {
    clusters: [{ name: c.name, endpoints: c.endpoints.map((e) => e.url), tokenId: sim.tokenId, tokenSecretFile: 'token', tls: { fingerprint: sim.fingerprint }, timeoutMs: 5000 }],
    pollIntervalSeconds: INTERVAL,
    paths: { database: join(dir, 'unused.sqlite'), site: join(dir, 'site'), inbox: join(dir, 'inbox') },
    database: { url: pg.url },
    poll: { retries: 0, backfill: false },
    metrics: { file: join(dir, 'metrics') },
    agent: { id, shared: true },
  };
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
  const a: Agent = { id, out: '' };
  const child = spawn(process.execPath, ['--import', 'tsx', join(REPO, 'agent/bin/pmi-agent.ts'), 'run', '--config', join(dir, 'config.json')], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.on('data', (d: Buffer) => (a.out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (a.out += d.toString()));
  a.child = child;
  agents.push(a);
  return a;
}

const outputs = () => agents.map((a) => `=== agent ${a.id} (last 4000 chars)\n${a.out.slice(-4000)}`).join('\n');

async function until<T>(what: string, pred: () => Promise<T | undefined | false>): Promise<T> {
  const end = Date.now() + WAIT_MS;
  for (;;) {
    for (const a of agents) if (a.child && a.child.exitCode !== null) throw new Error(`agent ${a.id} exited (${a.child.exitCode}) while waiting for ${what}\n${outputs()}`);
    const v = await pred().catch(() => undefined);
    if (v) return v;
    if (Date.now() > end) throw new Error(`gave up waiting for ${what}\n${outputs()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const holderOf = async (lease: string) => (await store.pool.query<{ holder: string }>('select holder from cluster_leases where cluster = $1 and released_ms is null', [lease])).rows[0]?.holder;

/** An agent's "cycle done" lines (time: the end, epoch ms; ms: the duration; stages in ms). */
const cycles = (a: Agent) => a.out.split('\n').filter((l) => l.includes('"cycle done"')).map((l) => JSON.parse(l) as { time: number; ms: number; stages: Record<string, number> });

describe('two agents, each its own cluster, one PostgreSQL', () => {
  beforeAll(async () => {
    sim = await startSimulator({ seed: 5, clusters: 2, nodesPerCluster: 1, guests: 10 });
    root = mkdtempSync(join(tmpdir(), 'pmi-fleetcycle-'));
    const t = await createTestDatabase();
    pg = { url: t.url, drop: () => t.drop() };
    store = await openPgStore({ url: t.url });
  }, 60_000);

  afterAll(async () => {
    for (const a of agents) if (a.child && a.child.exitCode === null) a.child.kill('SIGKILL');
    await store?.close();
    await pg?.drop();
    await sim?.stop();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it('the site holder builds after the other agent\'s cluster was polled in the same interval', async () => {
    const [c0, c1] = sim.clusters.map((c) => c.name) as [string, string];
    const a = start('a', c0);
    await until('agent a to hold its cluster and the site', async () => (await holderOf(c0)) === 'a' && (await holderOf('*site')) === 'a');
    start('b', c1);
    await until('agent b to hold its cluster', async () => (await holderOf(c1)) === 'b');
    // a cycle of the holder, after b is live, whose fleet duties ran once b's cluster had been
    // polled in the holder's interval: the interval's boundary ≤ b's poll run ≤ the end of the holder's wait
    const coherent = await until('a cycle of the site holder from a coherent fleet cycle', async () => {
      for (const c of cycles(a)) {
        if (c.stages.fleetWait === undefined) continue;
        const startMs = c.time - c.ms;
        const tickSec = Math.floor(startMs / 1000 / INTERVAL) * INTERVAL;
        const s = c.stages;
        const waitEndMs = c.time - ((s.maintain ?? 0) + (s.inbox ?? 0) + (s.alerts ?? 0) + (s.site ?? 0) + (s.metrics ?? 0));
        const r = await store.pool.query<{ n: string }>(
          'select count(*) as n from poll_runs p join clusters k on k.id = p.cluster_id where k.name = $1 and p.started_at >= $2 and p.started_at <= $3',
          [c1, tickSec, Math.floor(waitEndMs / 1000)],
        );
        if (Number(r.rows[0]!.n) > 0) return c;
      }
      return undefined;
    });
    expect(coherent.stages.site).toBeGreaterThan(0);
  }, 180_000);
});
