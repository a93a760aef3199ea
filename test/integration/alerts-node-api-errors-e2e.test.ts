// node-api-errors per node, end to end: the real agent polls the simulator through one endpoint
// (pve1) while requests about pve1 come back as malformed JSON, pve2 is unreachable for pveproxy
// (595 No route to host) and pve3 times out (596), all three still online for the cluster. The
// poller stores each problem in poll_errors; the rule fires once per node after its `for`, and the
// node whose fault is cleared resolves while the others keep firing. The clock is injected.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { startSimulator } from '../../scripts/pve-sim/index.ts';
import type { SimHandle } from '../../scripts/pve-sim/types.ts';
import { openAgent, type AgentParts } from '../../agent/main.ts';
import { logSink, writeAgentConfig, type AgentDirs, type LogSink } from '../support/agent-fixture.ts';

let sim: SimHandle;
let clock = Date.UTC(2026, 11, 7, 1, 0);
let dirs: AgentDirs;
let agent: AgentParts;
let sink: LogSink;

beforeAll(async () => {
  sim = await startSimulator({ seed: 5, guests: 12, authFailDelayMs: 50, now: () => clock });
  dirs = writeAgentConfig(sim, (c) => {
    c.clusters[0].endpoints = [sim.clusters[0]!.endpoints[0]!.url];
    c.pollIntervalSeconds = 60;
  });
  sink = logSink();
  agent = await openAgent(dirs.configPath, { logDestination: sink.stream, now: () => clock }, false);
}, 60_000);

afterAll(async () => {
  await agent?.close();
  await sim?.stop();
});

async function cycles(n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    clock += 60_000;
    await agent.runCycle();
  }
}

function rows<T>(q: string): T[] {
  const db = new Database(dirs.database, { readonly: true });
  try {
    return db.prepare(q).all() as T[];
  } finally {
    db.close();
  }
}

const apiErrors = (state: string) =>
  rows<{ labels: string }>(`select labels from alert_instances where rule = 'node-api-errors' and state = '${state}' order by labels`).map((r) => (JSON.parse(r.labels) as { node: string }).node);
const context = () =>
  `alerts: ${JSON.stringify(rows('select rule, state, labels, summary, muted from alert_instances'))}\npoll_errors: ${JSON.stringify(rows('select ts, node, path, code from poll_errors order by id desc limit 12'))}\nlog tail:\n${sink.text().slice(-2500)}`;

describe('node-api-errors per node against the simulator', () => {
  it('595, 596 and malformed JSON about three nodes fire one alert each; the repaired node resolves', async () => {
    const cluster = sim.clusters[0]!.name;
    await cycles(2); // first cycle backfills; both are clean
    expect(apiErrors('pending').concat(apiErrors('firing')), context()).toEqual([]);

    sim.faults.set({ cluster, path: /^\/nodes\/pve1\/status$/ }, { kind: 'malformed' });
    sim.faults.set({ cluster, node: 'pve2', path: '/nodes/{node}/status' }, { kind: 'noRoute595' });
    sim.faults.set({ cluster, node: 'pve3', path: '/nodes/{node}/status' }, { kind: 'timeout596' });
    await cycles(3);
    // three failing polls: the condition holds, `for: 5m` has not passed yet
    expect(apiErrors('pending'), context()).toEqual(['pve1', 'pve2', 'pve3']);
    await cycles(6);
    expect(apiErrors('firing'), context()).toEqual(['pve1', 'pve2', 'pve3']);
    // the nodes are still online for the cluster: this is the only alert about them
    expect(rows<{ status: string }>('select status from nodes order by node').map((r) => r.status), context()).toEqual(['online', 'online', 'online']);
    const codes = rows<{ node: string; code: string }>("select distinct node, code from poll_errors where path like '/nodes/%/status' order by node");
    expect(codes.map((r) => r.node), context()).toEqual(['pve1', 'pve2', 'pve3']);
    const summary = rows<{ summary: string }>("select summary from alert_instances where rule = 'node-api-errors' and labels like '%pve2%'")[0]?.summary;
    expect(summary, context()).toMatch(/^\d+ of the last 10 polls of cluster1 had API errors about node pve2: PVE_NODE_OFFLINE \/nodes\/pve2\/status$/);

    // pve2 reachable again: fewer than 3 of the last 10 polls fail after 8 clean ones
    sim.faults.clear({ cluster, node: 'pve2' });
    await cycles(9);
    expect(apiErrors('resolved'), context()).toEqual(['pve2']);
    expect(apiErrors('firing'), context()).toEqual(['pve1', 'pve3']);
  }, 180_000);
});
