// The agent under exactly the node flags and environment of systemd/pmi-agent.service (read from
// the unit, as the benches do): node accepts every flag (it refuses an unknown V8 flag with exit 9),
// and one cycle polls over HTTPS (undici's HTTP parser is WebAssembly, which the unit keeps on V8's
// baseline compiler), stores and publishes the site.
import { spawn } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type SimHandle } from '../../scripts/pve-sim/index.ts';
import { productionNodeEnv, productionNodeFlags } from '../../scripts/bench/poll.bench.ts';
import { writeAgentConfig, type AgentDirs } from '../support/agent-fixture.ts';

const REPO = resolve(import.meta.dirname, '../..');

let sim: SimHandle;
let dirs: AgentDirs;

beforeAll(async () => {
  sim = await startSimulator({ seed: 11, nodesPerCluster: 2, guests: 40 });
  dirs = writeAgentConfig(sim);
});
afterAll(async () => {
  await sim?.stop();
  if (dirs) rmSync(dirs.dir, { recursive: true, force: true });
});

describe("the unit's node flags and environment", () => {
  it('run a whole cycle: poll over HTTPS, store, site', async () => {
    const env = productionNodeEnv();
    expect(env.MALLOC_MMAP_THRESHOLD_).toBe('131072');
    const args = [...productionNodeFlags(), '--import', 'tsx', join(REPO, 'agent/bin/pmi-agent.ts'), 'once', '--config', dirs.configPath];
    const child = spawn(process.execPath, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
    expect(code, out).toBe(0);

    const db = new Database(dirs.database, { readonly: true });
    try {
      const guests = db.prepare('select count(*) as n from guests').get() as { n: number };
      expect(guests.n).toBe(40);
    } finally {
      db.close();
    }
    expect(existsSync(join(dirs.site, 'current', 'index.html'))).toBe(true);
  }, 120_000);
});
