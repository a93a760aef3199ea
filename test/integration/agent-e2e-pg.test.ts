// Issue 17 items 1 and 3: the real agent on PostgreSQL against the real simulator, end to end:
// poll, store (partitioned samples), health tiers, maintenance, alert rules (read-only reader),
// site build (the site repositories' queries) — with the same rows and pages as on SQLite.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator } from '../../scripts/pve-sim/index.ts';
import type { SimHandle } from '../../scripts/pve-sim/types.ts';
import { runAgent } from '../../agent/main.ts';
import { logSink, writeAgentConfig } from '../support/agent-fixture.ts';
import { createTestDatabase } from '../support/store-backends.ts';

let sim: SimHandle;
let target: Awaited<ReturnType<typeof createTestDatabase>>;
beforeAll(async () => {
  sim = await startSimulator({ seed: 7, hostileNames: true, authFailDelayMs: 50 });
  target = await createTestDatabase();
});
afterAll(async () => {
  await sim?.stop();
  await target?.drop();
});

describe('the agent on PostgreSQL against the simulator', () => {
  it('polls for a few cycles into PostgreSQL and publishes the site', async () => {
    const u = new URL(target.url);
    const password = decodeURIComponent(u.password);
    u.password = '';
    let pwFile = '';
    const dirs = writeAgentConfig(sim, (c) => {
      c.database = { url: u.toString(), passwordFile: 'db.pw' };
    });
    pwFile = join(dirs.configPath, '..', 'db.pw');
    writeFileSync(pwFile, password, { mode: 0o600 });
    const sink = logSink();
    const code = await runAgent(dirs.configPath, { maxCycles: 2, intervalSeconds: 5, logDestination: sink.stream });
    expect(code, sink.text().slice(-3000)).toBe(0);
    expect(sink.lines.filter((l) => l.level === 'error' || l.level === 'fatal').map((l) => `${String(l.msg)} ${JSON.stringify(l.err ?? '').slice(0, 2500)}`), 'no error logged').toEqual([]);

    const c = new pg.Client({ connectionString: target.url });
    await c.connect();
    try {
      const count = async (q: string) => Number((await c.query<{ n: string }>(q)).rows[0]!.n);
      expect(await count('select count(*) as n from clusters')).toBe(1);
      expect(await count("select count(*) as n from nodes where status = 'online'")).toBe(3);
      expect(await count('select count(*) as n from guests')).toBe(sim.world.clusters[0]!.guests.size);
      expect(await count('select count(distinct ts) as n from guest_samples')).toBeGreaterThanOrEqual(2);
      expect(await count('select count(*) as n from guest_samples_default')).toBe(0); // every row in its day's partition
      expect(await count('select count(*) as n from poll_runs where ok = 1')).toBe(2);
    } finally {
      await c.end();
    }
    const index = readFileSync(join(dirs.site, 'current', 'guests.html'), 'utf8'); // engine (#13): every guest's row is there
    expect(index).toMatch(/&lt;img src=x onerror/i);
    const status = JSON.parse(readFileSync(join(dirs.site, 'current', 'status.json'), 'utf8')) as { clusters: Array<{ poll: Record<string, unknown> }> };
    expect(status.clusters[0]!.poll).toMatchObject({ ok: true, errors: 0 });
    expect(sink.text()).not.toContain(password);
  }, 180_000);
});
