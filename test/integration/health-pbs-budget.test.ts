// The PBS tier's request budget (#15): hourly by default, 1 request per server plus 2 per
// datastore, each server in its own phase so no cycle reads two servers. Real clients against the
// PBS simulator, a real database; the cycles are driven by hand (no timing).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPbsTier } from '../../agent/health/pbs-tier.ts';
import { createPveClient } from '../../agent/pve/pve-client.ts';
import { openDatabase, type Store } from '../../agent/store/open-database.ts';
import { startPbsSimulator, type PbsSimHandle } from '../../scripts/pve-sim/pbs-sim.ts';

let pbs: PbsSimHandle;
let store: Store;
let dir: string;
const now = Date.UTC(2026, 11, 7, 9, 0);

beforeAll(async () => {
  pbs = await startPbsSimulator({ now: () => now });
  dir = mkdtempSync(join(tmpdir(), 'pmi-pbs-budget-'));
  store = await openDatabase(join(dir, 'pmi.sqlite'));
});
afterAll(async () => {
  await store?.close();
  await pbs?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('PBS tier cadence', () => {
  it('two servers at a 60 s interval: each read once an hour, never in the same cycle', async () => {
    const log = pino({ level: 'silent' });
    const mk = (name: string) => ({
      name, tokenId: pbs.tokenId, datastores: ['secret'],
      client: createPveClient({ cluster: { name, endpoints: [pbs.url], tokenId: pbs.tokenId, tls: { fingerprint: pbs.fingerprint, insecure: false }, timeoutMs: 5000 }, secret: pbs.tokenSecret, log, retries: 0, retryBaseMs: 10, authorization: `PBSAPIToken=${pbs.tokenId}:${pbs.tokenSecret}` }),
    });
    const servers = [mk('pbs-a'), mk('pbs-b')];
    const tier = createPbsTier({ servers, db: store.db, log, now: () => now, everyCycles: 60 });
    const perCycle: number[] = [];
    try {
      for (let i = 0; i < 120; i++) perCycle.push(await tier.runCycle());
    } finally {
      await Promise.all(servers.map((s) => s.client.close()));
    }
    // 1 list + 2 for main + 1 for secret (its 403 ends it) = 4 per server read; two hours: 2 reads per server
    expect(perCycle.filter((n) => n > 0)).toEqual([4, 4, 4, 4]);
    expect(perCycle.indexOf(4)).toBe(0);
    expect(perCycle.indexOf(4, 1)).toBe(30);
    expect(perCycle.reduce((a, b) => a + b, 0)).toBe(16);
    // what the tier counts is what the server saw
    expect(Object.values(pbs.requests).reduce((a, b) => a + b, 0)).toBe(16);
  });
});
