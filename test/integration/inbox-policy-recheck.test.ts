// Regression (found in review): a request accepted under one policy ran after a restart with a
// narrower policy. The policy and the inventory are checked again right before the POST.
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createInbox, type Inbox } from '../../agent/inbox/inbox.ts';
import type { PveClient } from '../../agent/pve/pve-client.types.ts';
import type { Store } from '../../agent/store/open-database.ts';
import { startSimulator, type SimHandle } from '../../scripts/pve-sim/index.ts';
import { accessOf, clientsFor, drop, openTestDb, request, resultOf, seedInventory, tempDir, testActionsConfig, testLog, waitFor } from './inbox-harness.ts';

let sim: SimHandle | undefined;
let store: Store | undefined;
let inbox: Inbox | undefined;
let clients: Map<string, PveClient> | undefined;

afterAll(async () => {
  await inbox?.stop();
  for (const c of clients?.values() ?? []) await c.close();
  await store?.close();
  await sim?.stop();
});

describe('policy re-check before the POST', () => {
  it('a queued request the new policy no longer allows is rejected and nothing is sent', async () => {
    sim = await startSimulator({ seed: 4, taskTimeScale: 0.02 });
    const cluster = sim.clusters[0]!.name;
    const root = await tempDir('pmi-inbox-recheck-');
    const dir = join(root, 'inbox');
    store = await openTestDb(root);
    await seedInventory(store.db, sim);
    clients = clientsFor(accessOf(sim), testLog());
    const g = [...sim.world.clusters[0]!.guests.values()].find((x) => x.status === 'running' && !x.template && !x.lock && !x.hastate)!;
    const make = (policy: object[]) => createInbox({ dir, db: store!.db, clients: clients!, log: testLog(), now: () => Date.now(), config: testActionsConfig({ policy: policy as never }) });

    inbox = make([{ actions: ['stop'] }]);
    await inbox.start();
    await inbox.rescan();
    const notBefore = Math.ceil(Date.now() / 1000) + 3;
    await drop(dir, request('stop-later', cluster, g.vmid, 'stop', undefined, { notBefore }));
    await waitFor(async () => (await store!.db.selectFrom('actions').select('state').where('id', '=', 'stop-later').executeTakeFirst())?.state === 'queued', 10_000, 'queued');
    await inbox.stop();

    // Restart with a policy that allows only start: the queued stop must not run.
    sim.resetStats();
    inbox = make([{ actions: ['start'] }]);
    await inbox.start();
    await inbox.rescan();
    const r = await resultOf(dir, 'stop-later', 20_000);
    expect(r.outcome).toBe('rejected');
    expect(r.errorCode).toBe('ACTION_NOT_ALLOWED');
    expect(r.reason).toMatch(/policy no longer allows it.*nothing was sent/);
    expect(sim.stats().byMethod.POST ?? 0).toBe(0);
    expect(sim.world.guest(cluster, g.vmid)!.status).toBe('running');
  }, 60_000);
});
