// A fresh database has no inventory: requests must wait in new/ for the first poll cycle instead of
// being rejected as unknown guests; the cycle's rescan() opens the gate.
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createInbox, type Inbox } from '../../agent/inbox/inbox.ts';
import type { PveClient } from '../../agent/pve/pve-client.types.ts';
import type { Store } from '../../agent/store/open-database.ts';
import { startSimulator, type SimHandle } from '../../scripts/pve-sim/index.ts';
import { accessOf, clientsFor, drop, openTestDb, request, resultOf, seedInventory, tempDir, testActionsConfig, testLog } from './inbox-harness.ts';

let sim: SimHandle;
let store: Store;
let inbox: Inbox;
let clients: Map<string, PveClient>;
let dir: string;

beforeAll(async () => {
  sim = await startSimulator({ seed: 2, guests: 8, taskTimeScale: 0.02 });
  const root = await tempDir('pmi-inbox-start-');
  dir = join(root, 'inbox');
  store = await openTestDb(root);
  clients = clientsFor(accessOf(sim), testLog());
  inbox = createInbox({ dir, db: store.db, clients, log: testLog(), now: () => Date.now(), config: testActionsConfig() });
});

afterAll(async () => {
  await inbox?.stop();
  for (const c of clients?.values() ?? []) await c.close();
  await store?.close();
  await sim?.stop();
});

it('waits for the first inventory before judging requests', async () => {
  const cluster = sim.clusters[0]!.name;
  const g = [...sim.world.clusters[0]!.guests.values()].find((x) => !x.template && !x.hastate && !x.lock && x.status === 'running')!;
  await inbox.start();
  await drop(dir, request('early', cluster, g.vmid, 'stop'));
  await new Promise((r) => setTimeout(r, 700));
  expect(await readdir(join(dir, 'new'))).toHaveLength(1);
  expect(await readdir(join(dir, 'rejected'))).toHaveLength(0);
  expect(sim.stats().byMethod.POST ?? 0).toBe(0);
  await seedInventory(store.db, sim); // what the first poll cycle stores
  await inbox.rescan(); // the cycle calls this after storing
  const r = await resultOf(dir, 'early', 20_000);
  expect(r.outcome, r.reason ?? '').toBe('done');
});
