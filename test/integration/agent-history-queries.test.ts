// Every documented example query, run through the real sqlite3 CLI against a database the real
// agent filled: two simulated days of cycles against the simulator over HTTPS, on one fake clock
// shared by both, with a guest that stops by itself and an action request the policy refuses.
import { execFileSync } from 'node:child_process';
import { readdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator } from '../../scripts/pve-sim/index.ts';
import type { SimHandle } from '../../scripts/pve-sim/types.ts';
import { stopProcess } from '../../scripts/pve-sim/guest-state.ts';
import { openAgent, type AgentParts } from '../../agent/main.ts';
import { logSink, writeAgentConfig, type AgentDirs } from '../support/agent-fixture.ts';

const QUERIES = join(import.meta.dirname, '../../db/queries');
const STEP_MS = 15 * 60_000;
const DAYS = 2;

let t = Date.parse('2026-11-20T00:00:00Z');
let sim: SimHandle;
let agent: AgentParts;
let dirs: AgentDirs;
let stoppedVmid = 0;

beforeAll(async () => {
  sim = await startSimulator({ seed: 11, now: () => t, authFailDelayMs: 50 });
  dirs = writeAgentConfig(sim, (c) => {
    c.pollIntervalSeconds = 900;
    c.actions = { policy: [] };
  });
  const sink = logSink();
  agent = await openAgent(dirs.configPath, { now: () => t, logDestination: sink.stream });
  await agent.startInbox();

  // A request nobody is allowed to run: it must end in rejected/ and in the actions table.
  const request = { version: 1, id: 'reboot-nightly', cluster: sim.clusters[0]!.name, vmid: 101, action: { type: 'reboot' }, reason: 'test' };
  writeFileSync(join(dirs.inbox, 'tmp', 'reboot-nightly.json'), JSON.stringify(request));
  renameSync(join(dirs.inbox, 'tmp', 'reboot-nightly.json'), join(dirs.inbox, 'new', 'reboot-nightly.json'));

  const cluster = sim.world.clusters[0]!;
  const cycles = (DAYS * 86_400_000) / STEP_MS;
  for (let i = 0; i < cycles; i++) {
    t += STEP_MS;
    if (i === cycles / 2) {
      // A guest whose OS shut itself down: no stop action, no stop task.
      sim.world.advance();
      const g = [...cluster.guests.values()].find((x) => x.status === 'running' && x.qmpstatus === 'running' && !x.hastate && !x.template)!;
      stoppedVmid = g.vmid;
      stopProcess(g, Math.floor(t / 1000));
    }
    await agent.runCycle();
  }
}, 300_000);

afterAll(async () => {
  await agent?.close();
  await sim?.stop();
});

describe('example queries on an agent-filled database', () => {
  it('the refused request ended in rejected/ and the guest stop was seen', () => {
    expect(readdirSync(join(dirs.inbox, 'rejected'))).toContain('reboot-nightly.json');
    const out = execFileSync('sqlite3', ['-readonly', dirs.database, `select to_status from guest_status_changes where vmid = ${stoppedVmid} order by ts desc limit 1`], { encoding: 'utf8' });
    expect(out.trim()).toBe('stopped');
  });

  const files = readdirSync(QUERIES).filter((f) => f.endsWith('.sql')).sort();
  it('there are at least 10 example queries', () => expect(files.length).toBeGreaterThanOrEqual(10));

  it.each(files)('%s returns rows through the sqlite3 CLI', (file) => {
    const out = execFileSync('sqlite3', ['-readonly', '-bail', dirs.database], { input: execFileSync('cat', [join(QUERIES, file)]), encoding: 'utf8' });
    expect(out.trim().split('\n').filter(Boolean).length, `${file} returned no rows`).toBeGreaterThan(0);
  });
});
