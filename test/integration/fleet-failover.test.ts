// Failover with real processes (issue 17 items 2, 3): two real agents (agent/bin/pmi-agent.ts run),
// the same clusters, one database: a SQLite file in WAL mode shared on this host, and a database on
// the test run's throw-away PostgreSQL server. The holder is
// killed with SIGKILL in the middle of an action; the other agent takes the cluster over, fills
// the gap in the samples, finishes the interrupted action by following its task, and runs an
// action dropped into its own inbox during the handover, each exactly once (counted from the
// simulator's own task list). The killed agent, started again, writes the result file of the
// request it had taken in. Every wait is bounded by events seen in the database or on disk and
// fails with both agents' output; no duration is asserted.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Kysely } from 'kysely';
import { openDatabase } from '../../agent/store/open-database.ts';
import { openPgStore } from '../../agent/store/open-store.ts';
import type { Database } from '../../agent/store/schema.ts';
import { STORE_BACKENDS, createTestDatabase, type Backend } from '../support/store-backends.ts';
import { startSimulator, type SimHandle } from '../../scripts/pve-sim/index.ts';
import { drop, request, results } from './inbox-harness.ts';

const REPO = resolve(import.meta.dirname, '../..');
const INTERVAL = 5;
/** Three intervals: the handover gap then outlasts 2 intervals, so backfill has a gap to fill. */
const LEASE = 15;
const WAIT_MS = 90_000;

interface Agent {
  id: string;
  dir: string;
  inbox: string;
  configPath: string;
  child?: ChildProcess;
  out: string;
}

let sim: SimHandle;
let root: string;
let dbFile: string;
/** PostgreSQL: the test database's URL. */
let pg: { url: string; drop(): Promise<void> } | undefined;
let store: { db: Kysely<Database>; close(): Promise<void> };
const agents: Agent[] = [];

function makeAgent(id: string): Agent {
  const dir = join(root, id);
  mkdirSync(dir);
  writeFileSync(join(dir, 'token'), sim.tokenSecret + '\n', { mode: 0o600 });
  const config = {
    clusters: sim.clusters.map((c) => ({ name: c.name, endpoints: c.endpoints.map((e) => e.url), tokenId: sim.tokenId, tokenSecretFile: 'token', tls: { fingerprint: sim.fingerprint }, timeoutMs: 5000 })),
    pollIntervalSeconds: INTERVAL,
    paths: { database: dbFile, site: join(dir, 'site'), inbox: join(dir, 'inbox') },
    ...(pg && { database: { url: pg.url } }),
    // the built-in rules that do not plan on PostgreSQL yet (the pg branch's work in progress)
    poll: { retries: 0 },
    metrics: { file: join(dir, 'metrics') },
    actions: { policy: [{ actions: ['start'] }], taskPollIntervalMs: 200 },
    agent: { id, shared: true, leaseSeconds: LEASE },
  };
  const configPath = join(dir, 'config.json');
  writeFileSync(configPath, JSON.stringify(config, null, 2));
  const a: Agent = { id, dir, inbox: join(dir, 'inbox'), configPath, out: '' };
  agents.push(a);
  return a;
}

function start(a: Agent): void {
  a.out += `--- start ${a.id}\n`;
  // node --import tsx: one process, so SIGKILL hits the agent itself
  const child = spawn(process.execPath, ['--import', 'tsx', join(REPO, 'agent/bin/pmi-agent.ts'), 'run', '--config', a.configPath], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.on('data', (d: Buffer) => (a.out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (a.out += d.toString()));
  a.child = child;
}

async function kill9(a: Agent): Promise<void> {
  const c = a.child;
  if (!c || c.exitCode !== null || c.signalCode !== null) return;
  const gone = new Promise((r) => c.once('exit', r));
  c.kill('SIGKILL');
  await gone;
}

/** Each agent's backfill, lease and warning lines (they may lie far back), then the tail of its output. */
const outputs = () =>
  agents
    .map((a) => {
      const notable = a.out.split('\n').filter((l) => /"module":"(backfill|fleet)"|"level":"(warn|error|fatal)"|^--- start/.test(l));
      return `=== agent ${a.id}: backfill, lease and warning lines\n${notable.join('\n').slice(-6000)}\n=== agent ${a.id} (last 4000 chars)\n${a.out.slice(-4000)}`;
    })
    .join('\n');

/** Polls `pred` every 100 ms until it yields a value; fails after WAIT_MS saying what and showing the agents' output. */
async function until<T>(what: string, pred: () => Promise<T | undefined | false>): Promise<T> {
  const end = Date.now() + WAIT_MS;
  for (;;) {
    for (const a of agents) if (a.child && a.child.exitCode !== null) throw new Error(`agent ${a.id} exited (${a.child.exitCode}) while waiting for ${what}\n${outputs()}`);
    const v = await pred().catch(() => undefined); // the database may be busy for a moment
    if (v) return v;
    if (Date.now() > end) throw new Error(`gave up waiting for ${what}\n${outputs()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const q = async <T>(text: string): Promise<T[]> => (await sql.raw<T>(text).execute(store.db)).rows;
const leaseHolder = async (cluster: string) => (await q<{ holder: string; released_ms: unknown; expires_ms: unknown }>(`SELECT holder, released_ms, expires_ms FROM cluster_leases WHERE cluster = '${cluster}'`))[0];
const action = async (id: string) => (await q<{ state: string; outcome: string | null; upid: string | null; claimed_by: string | null; received_by: string | null }>(`SELECT state, outcome, upid, claimed_by, received_by FROM actions WHERE request_id = '${id}'`))[0];

describe.each(STORE_BACKENDS)('two agents, one database (%s)', (backend: Backend) => {
  beforeAll(async () => {
    // a start takes 6–12 s here: the holder is killed while it follows the task
    sim = await startSimulator({ seed: 17, clusters: 1, nodesPerCluster: 2, guests: 40, taskTimeScale: 3 });
    root = mkdtempSync(join(tmpdir(), 'pmi-fleet-'));
    dbFile = join(root, 'shared', 'pmi.sqlite');
    mkdirSync(join(root, 'shared'));
    agents.length = 0;
    pg = undefined;
    // migrated once here, as the agents would; the test reads through its own connection
    if (backend === 'sqlite') store = await openDatabase(dbFile);
    else {
      const t = await createTestDatabase();
      // The password stays in the URL: with database.passwordFile and a URL without one, pg (8.x)
      // lets the parsed URL's empty password win over the one given (reported to the pg branch).
      pg = { url: t.url, drop: () => t.drop() };
      store = await openPgStore({ url: t.url });
    }
  }, 60_000);

  afterAll(async () => {
    for (const a of agents) await kill9(a);
    await store?.close();
    await pg?.drop();
    await sim?.stop();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it('kill -9 of the holder mid-action: the other takes over, fills the gap, and every action runs exactly once', async () => {
    const cluster = sim.clusters[0]!.name;
    const stopped = [...sim.world.clusters[0]!.guests.values()].filter((g) => g.status === 'stopped' && g.template === 0 && !g.lock && g.hastate === undefined);
    expect(stopped.length, 'the simulator world needs two stopped guests').toBeGreaterThanOrEqual(2);
    const [g1, g2] = stopped as [typeof stopped[0], typeof stopped[0]];
    const a = makeAgent('agent-a');
    const b = makeAgent('agent-b');

    start(a);
    await until('agent-a to hold the cluster and store a poll', async () => (await leaseHolder(cluster))?.holder === 'agent-a' && (await q<{ n: number }>(`SELECT COUNT(*) AS n FROM poll_runs`))[0]!.n > 0);
    start(b);
    await until('agent-b to register', async () => (await q<{ id: string }>(`SELECT id FROM agents WHERE id = 'agent-b' AND stopped_ms IS NULL`)).length === 1);
    await until('agent-b to have stored nothing while agent-a holds the cluster (its first cycle logged)', async () => b.out.includes('cycle done'));
    expect((await leaseHolder(cluster))!.holder).toBe('agent-a');

    // An action taken in and started by the holder; it dies while following the task.
    await drop(a.inbox, request('fleet-x', cluster, g1.vmid, 'start'));
    const x = await until('agent-a to start fleet-x (a UPID recorded)', async () => {
      const r = await action('fleet-x');
      return r?.upid ? r : undefined;
    });
    expect(x).toMatchObject({ claimed_by: 'agent-a', received_by: 'agent-a' });
    await kill9(a);
    a.child = undefined;
    const killedAt = Date.now();
    // nobody writes samples until agent-b holds the cluster
    const lastByA = Number((await q<{ ts: number }>(`SELECT MAX(ts) AS ts FROM node_samples`))[0]!.ts);
    const lastRunByA = Number((await q<{ t: number }>(`SELECT MAX(started_at) AS t FROM poll_runs`))[0]!.t);
    const xAtKill = (await action('fleet-x'))!;

    // An action dropped into the survivor's inbox during the handover.
    await drop(b.inbox, request('fleet-y', cluster, g2.vmid, 'start'));
    await until('agent-b to take fleet-y in (it does not hold the cluster yet)', async () => (await action('fleet-y'))?.received_by === 'agent-b');

    await until('agent-b to take the cluster over', async () => (await leaseHolder(cluster))?.holder === 'agent-b');
    const firstByB = await until('agent-b to store its first poll of the cluster', async () => {
      // backfilled rows lie before agent-b's first poll run; its own samples from that run on
      const run = (await q<{ t: number | null }>(`SELECT MIN(started_at) AS t FROM poll_runs WHERE started_at > ${lastRunByA}`))[0]?.t;
      if (run == null) return undefined;
      const r = (await q<{ ts: number | null }>(`SELECT MIN(ts) AS ts FROM node_samples WHERE ts >= ${Number(run)}`))[0];
      return r?.ts == null ? undefined : Number(r.ts);
    });
    const handoverMs = Date.now() - killedAt;

    // both actions end, each run by agent-b, each task started once
    const [fx, fy] = [
      await until('fleet-x to finish', async () => {
        const r = await action('fleet-x');
        return r?.outcome ? r : undefined;
      }),
      await until('fleet-y to finish', async () => {
        const r = await action('fleet-y');
        return r?.outcome ? r : undefined;
      }),
    ];
    expect(fx, `fleet-x at the kill: ${JSON.stringify(xAtKill)}`).toMatchObject({ outcome: 'done', claimed_by: 'agent-b', received_by: 'agent-a' });
    expect(fy).toMatchObject({ outcome: 'done', claimed_by: 'agent-b', received_by: 'agent-b' });
    const starts = (vmid: number) => sim.world.clusters[0]!.tasks.filter((t) => /^(qm|vz|ha)start$/.test(t.type) && t.id === String(vmid)).length;
    expect(starts(g1.vmid), 'fleet-x: tasks started').toBe(1);
    expect(starts(g2.vmid), 'fleet-y: tasks started').toBe(1);
    // the survivor writes the result of the request dropped into its inbox
    const ry = await until('the result file of fleet-y in agent-b/inbox/done', async () => (await results(b.inbox)).find((r) => r.id === 'fleet-y'));
    expect(ry.folder).toBe('done');

    // the handover gap is filled: after backfill no two samples of a node are more than 2 intervals apart
    // (wait for what is asserted below: a gap of at most 2 intervals needs no backfill at all, so
    // "a row inside the gap" could wait forever when the handover was quick)
    const around = async () => (await q<{ node: string; ts: number }>(`SELECT node, ts FROM node_samples WHERE ts BETWEEN ${lastByA} AND ${firstByB} ORDER BY node, ts`)).map((r) => ({ node: r.node, ts: Number(r.ts) }));
    const largestSteps = (rows: { node: string; ts: number }[]) => {
      const steps = new Map<string, number>();
      for (let i = 1; i < rows.length; i++) if (rows[i]!.node === rows[i - 1]!.node) steps.set(rows[i]!.node, Math.max(steps.get(rows[i]!.node) ?? 0, rows[i]!.ts - rows[i - 1]!.ts));
      return steps;
    };
    await until('backfill to fill the handover gap', async () => {
      const steps = largestSteps(await around());
      return steps.size === 2 && [...steps.values()].every((s) => s <= 2 * INTERVAL);
    }).catch(async (err: Error) => {
      throw new Error(`${err.message}\nnode samples from ${lastByA} to ${firstByB}: ${JSON.stringify(await around())}`);
    });
    const rows = await around();
    const steps = largestSteps(rows);
    expect(steps.size, `node samples around the handover: ${JSON.stringify(rows)}`).toBe(2);
    for (const [node, step] of steps) expect(step, `largest step between samples of ${node} from ${lastByA} to ${firstByB}`).toBeLessThanOrEqual(2 * INTERVAL);
    const history = await q<{ from_agent: string; to_agent: string; reason: string }>(`SELECT from_agent, to_agent, reason FROM lease_history WHERE cluster = '${cluster}' ORDER BY at_ms`);
    expect(history.at(-1)).toEqual({ from_agent: 'agent-a', to_agent: 'agent-b', reason: 'expired' });

    // agent-a comes back: agent-b keeps the cluster, agent-a writes the result of the request it took in
    start(a);
    const rx = await until('the result file of fleet-x in agent-a/inbox/done', async () => (await results(a.inbox)).find((r) => r.id === 'fleet-x'));
    expect(rx.folder).toBe('done');
    expect((await leaseHolder(cluster))!.holder).toBe('agent-b');
    expect(starts(g1.vmid)).toBe(1);
    console.info(`fleet failover (${backend}): kill -9 → first poll by agent-b ${handoverMs} ms (lease ${LEASE} s, interval ${INTERVAL} s); fleet-x was ${xAtKill.state} at the kill`);
  }, 300_000);
});
