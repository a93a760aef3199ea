// The real agent against the real simulator over HTTPS on loopback, end to end: database rows
// and generated pages after a few cycles, and clear logged errors (never a crash) for a wrong
// TLS fingerprint and a wrong token.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator } from '../../scripts/pve-sim/index.ts';
import type { SimHandle } from '../../scripts/pve-sim/types.ts';
import { runAgent, runOnce } from '../../agent/main.ts';
import { logSink, writeAgentConfig } from '../support/agent-fixture.ts';

let sim: SimHandle;
beforeAll(async () => {
  sim = await startSimulator({ seed: 7, hostileNames: true, authFailDelayMs: 50 });
});
afterAll(async () => {
  await sim?.stop();
});

describe('agent against the simulator', () => {
  it('polls for a few cycles into SQLite and publishes the site', async () => {
    const dirs = writeAgentConfig(sim);
    const sink = logSink();
    const code = await runAgent(dirs.configPath, { maxCycles: 2, intervalSeconds: 5, logDestination: sink.stream });
    expect(code).toBe(0);

    const db = new Database(dirs.database, { readonly: true });
    const count = (sql: string) => (db.prepare(sql).get() as { n: number }).n;
    expect(count('select count(*) n from clusters')).toBe(1);
    expect(count("select count(*) n from nodes where status = 'online'")).toBe(3);
    const guests = db.prepare('select vmid, type, name, status, template from guests').all() as Array<{ vmid: number; type: string; name: string; status: string; template: number }>;
    expect(guests.length).toBe(sim.world.clusters[0]!.guests.size);
    expect(new Set(guests.map((g) => g.type))).toEqual(new Set(['qemu', 'lxc']));
    expect(guests.some((g) => g.template === 1)).toBe(true);
    const running = guests.filter((g) => g.status === 'running').length;
    expect(running).toBeGreaterThan(0);
    // Two cycles: each running guest has a raw sample per cycle (stopped guests have none).
    expect(count('select count(distinct ts) n from guest_samples')).toBeGreaterThanOrEqual(2);
    expect(count('select count(*) n from guest_samples')).toBeGreaterThanOrEqual(running);
    expect(count('select count(*) n from node_samples')).toBeGreaterThanOrEqual(6);
    expect(count('select count(*) n from storages')).toBeGreaterThan(0);
    expect(count('select count(*) n from poll_runs where ok = 1')).toBe(2);
    db.close();

    const root = join(dirs.site, 'current');
    const index = readFileSync(join(root, 'guests.html'), 'utf8'); // engine (#13): every guest's row is there
    for (const g of guests.slice(0, 5)) expect(index).toContain(`${g.vmid}`);
    // The hostile guest name from the simulator is escaped, never live markup.
    expect(index).not.toMatch(/<img src=x onerror/i);
    expect(index).not.toContain('<script>alert(1)</script>');
    expect(index).toMatch(/&lt;img src=x onerror/i);
    // ApexCharts is served from the site itself.
    const assets = readdirSync(join(root, 'assets'));
    expect(assets.some((f) => /^apexcharts.*\.js$/.test(f))).toBe(true);
    expect(index).not.toMatch(/(src|href)="(https?:)?\/\//);
    // No secret anywhere in what was logged.
    expect(sink.text()).not.toContain(sim.tokenSecret);
    // The agent's own health per cluster, machine-readable: the latest poll run.
    const status = JSON.parse(readFileSync(join(root, 'status.json'), 'utf8')) as { clusters: Array<{ poll: Record<string, unknown> }> };
    expect(status.clusters[0]!.poll).toMatchObject({ ok: true, errors: 0, endpoint: sim.clusters[0]!.endpoints[0]!.url, error: null });
    expect(status.clusters[0]!.poll.requests).toBeGreaterThanOrEqual(3 + 3);
    expect(status.clusters[0]!.poll.duration_ms).toEqual(expect.any(Number));
  }, 60_000);

  it('a wrong TLS fingerprint ends in a clear logged error naming the endpoint, not a crash', async () => {
    const wrong = sim.fingerprint.split(':').reverse().join(':');
    const dirs = writeAgentConfig(sim, (c) => { c.clusters[0].tls.fingerprint = wrong; });
    const sink = logSink();
    const code = await runOnce(dirs.configPath, { logDestination: sink.stream });
    expect(code).toBe(1);
    const endpoint = sim.clusters[0]!.endpoints[0]!.url;
    const err = sink.lines.find((l) => /PVE_TLS/.test(JSON.stringify(l)));
    expect(err, sink.text()).toBeDefined();
    const text = JSON.stringify(err);
    expect(text).toContain(new URL(endpoint).host);
    expect(text).toContain(wrong);
    expect(text).toContain(sim.fingerprint);
  }, 60_000);

  it('a wrong token ends in a clear logged authentication error naming the endpoint, not a crash', async () => {
    const dirs = writeAgentConfig(sim, () => {}, '00000000-0000-4000-8000-000000000000');
    const sink = logSink();
    const code = await runOnce(dirs.configPath, { logDestination: sink.stream });
    expect(code).toBe(1);
    const err = sink.lines.find((l) => /PVE_AUTH/.test(JSON.stringify(l)));
    expect(err, sink.text()).toBeDefined();
    expect(JSON.stringify(err)).toContain(new URL(sim.clusters[0]!.endpoints[0]!.url).host);
    expect(JSON.stringify(err)).toMatch(/401/);
    expect(sink.text()).not.toContain('00000000-0000-4000-8000-000000000000');
  }, 60_000);
});
