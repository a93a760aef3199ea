// SIGTERM while a poll cycle is in flight: the real agent process (agent/bin/pmi-agent.ts run, from sources under tsx)
// must exit 0 well within systemd's TimeoutStopSec=30 and leave a database that passes
// integrity_check. The simulator slows every answer down so the signal lands mid-cycle.
import { spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type SimHandle } from '../../scripts/pve-sim/index.ts';
import { writeAgentConfig, type AgentDirs } from '../support/agent-fixture.ts';

const REPO = resolve(import.meta.dirname, '../..');
const UNIT = readFileSync(join(REPO, 'systemd/pmi-agent.service'), 'utf8');
const TIMEOUT_STOP_MS = Number(/^TimeoutStopSec=(\d+)$/m.exec(UNIT)![1]) * 1000;

let sim: SimHandle;
let dirs: AgentDirs;

beforeAll(async () => {
  sim = await startSimulator({ seed: 5, nodesPerCluster: 2, guests: 10 });
  dirs = writeAgentConfig(sim, (c) => (c.clusters[0].timeoutMs = 20_000));
});
afterAll(async () => {
  await sim?.stop();
  if (dirs) rmSync(dirs.dir, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('SIGTERM', () => {
  it('mid-cycle: exits 0 within TimeoutStopSec and leaves a sound database', async () => {
    expect(TIMEOUT_STOP_MS).toBe(30_000);
    sim.faults.set({ cluster: sim.clusters[0]!.name }, { kind: 'latency', ms: 1_500 });
    const child = spawn(process.execPath, ['--import', 'tsx', join(REPO, 'agent/bin/pmi-agent.ts'), 'run', '--config', dirs.configPath], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<{ code: number | null; signal: string | null }>((r) => child.once('exit', (code, signal) => r({ code, signal })));

    // Wait until the first cycle is talking to the (slow) cluster.
    const deadline = Date.now() + 20_000;
    while (sim.stats().requests === 0) {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`the agent never polled:\n${out}`);
      await sleep(50);
    }
    await sleep(300);
    const t0 = Date.now();
    child.kill('SIGTERM');
    const result = await Promise.race([exited, sleep(TIMEOUT_STOP_MS).then(() => ({ code: null, signal: 'still running' }))]);
    const stopMs = Date.now() - t0;
    if (result.signal === 'still running') child.kill('SIGKILL');

    console.info(`SIGTERM mid-cycle: exited ${JSON.stringify(result)} after ${stopMs} ms`);
    expect(result, out).toEqual({ code: 0, signal: null });
    expect(stopMs).toBeLessThan(TIMEOUT_STOP_MS);
    expect(out).toContain('stop requested');
    expect(out).not.toContain(sim.tokenSecret);

    const db = new Database(dirs.database, { readonly: true });
    try {
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    } finally {
      db.close();
    }
  }, 60_000);
});
