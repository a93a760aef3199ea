// Regression (issue 12 item 8): after one cycle with the clock an hour fast, v_guest_latest and
// status.json kept that cycle's values (last_sample_ts = max(old, new)). The real agent against the
// simulator over HTTPS, with an injected clock that steps back, then forward.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator } from '../../scripts/pve-sim/index.ts';
import type { SimHandle } from '../../scripts/pve-sim/types.ts';
import { openAgent, type AgentParts } from '../../agent/main.ts';
import { openDatabase, type Store } from '../../agent/store/open-database.ts';
import { logSink, writeAgentConfig, type AgentDirs } from '../support/agent-fixture.ts';

const T0 = Date.parse('2026-12-07T00:00:00Z');
let real = T0;
let offset = 0;
let sim: SimHandle;
let agent: AgentParts;
let dirs: AgentDirs;
let store: Store;

beforeAll(async () => {
  // the simulator runs on real time; only the agent's clock steps
  sim = await startSimulator({ seed: 8, clusters: 1, nodesPerCluster: 2, guests: 6, now: () => real, authFailDelayMs: 50 });
  dirs = writeAgentConfig(sim, (c) => {
    c.pollIntervalSeconds = 60;
    c.poll = { retries: 0, backfill: false };
  });
  agent = await openAgent(dirs.configPath, { now: () => real + offset, logDestination: logSink().stream, intervalSeconds: 60 });
  store = await openDatabase(dirs.database, { migrate: false });
}, 120_000);

afterAll(async () => {
  await store?.close();
  await agent?.close();
  await sim?.stop();
});

async function cycleAt(realMs: number, offsetMs: number) {
  real = realMs;
  offset = offsetMs;
  const s = await agent.runCycle();
  expect(s.failedStages).toEqual([]);
  return Math.floor((realMs + offsetMs) / 1000);
}

const latest = () => store.db.selectFrom('clusters').select('last_sample_ts').executeTakeFirstOrThrow().then((r) => r.last_sample_ts);
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- views are not in the kysely schema
const viewRows = () => (store.db as any).selectFrom('v_guest_latest').select(['vmid', 'sample_ts', 'cpu']).where('sample_ts', 'is not', null).execute() as Promise<Array<{ vmid: number; sample_ts: number; cpu: number }>>;
const status = () => JSON.parse(readFileSync(join(dirs.site, 'current', 'status.json'), 'utf8')) as { clusters: Array<{ last_sample_ts: number }>; guest_fields: string[]; guests: unknown[][] };

describe('clock steps', () => {
  it('backward step: the latest views and status.json follow the newest cycle, not the one stamped an hour ahead', async () => {
    await cycleAt(T0, 0);
    const ahead = await cycleAt(T0 + 60_000, 3_600_000); // the clock runs an hour fast
    expect(await latest()).toBe(ahead);
    const back = await cycleAt(T0 + 120_000, 0); // NTP puts it right
    expect(await latest()).toBe(back);
    const rows = await viewRows();
    expect(rows.length).toBeGreaterThan(0);
    for (const r of rows) expect(r.sample_ts).toBe(back);
    // the rows stamped by the clock that ran ahead are gone: they would shadow later cycles
    const future = await store.db.selectFrom('guest_samples').select('ts').where('ts', '>', back).execute();
    expect(future).toEqual([]);
    const st = status();
    expect(st.clusters[0]!.last_sample_ts).toBe(back);
    const iCpu = st.guest_fields.indexOf('cpu');
    const iVmid = st.guest_fields.indexOf('vmid');
    for (const r of rows) {
      const g = st.guests.find((x) => x[iVmid] === r.vmid)!;
      expect(g[iCpu]).toBeCloseTo(r.cpu, 3);
    }
    // and the next cycle after the step is stored and shown normally
    const next = await cycleAt(T0 + 180_000, 0);
    expect(await latest()).toBe(next);
    expect(status().clusters[0]!.last_sample_ts).toBe(next);
  });

  it('forward step: the views jump with the clock and keep following it', async () => {
    const fwd = await cycleAt(T0 + 240_000, 7_200_000);
    expect(await latest()).toBe(fwd);
    const after = await cycleAt(T0 + 300_000, 7_200_000);
    expect(await latest()).toBe(after);
    for (const r of await viewRows()) expect(r.sample_ts).toBe(after);
    expect(status().clusters[0]!.last_sample_ts).toBe(after);
  });
});
