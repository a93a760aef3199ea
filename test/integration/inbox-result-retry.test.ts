// Regression (found in review): when a result file could not be written (disk full,
// permissions) the request sat in cur/ until the next start. The periodic rescan now writes it.
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createInbox, type Inbox } from '../../agent/inbox/inbox.ts';
import type { Store } from '../../agent/store/open-database.ts';
import { startSimulator, type SimHandle } from '../../scripts/pve-sim/index.ts';
import { accessOf, clientsFor, drop, openTestDb, request, seedInventory, tempDir, testActionsConfig, testLog, waitFor } from './inbox-harness.ts';

let sim: SimHandle | undefined;
let store: Store | undefined;
let inbox: Inbox | undefined;

afterAll(async () => {
  await inbox?.stop();
  await store?.close();
  await sim?.stop();
});

describe('result file retry', () => {
  it('a result that could not be written is written by a later rescan, without a restart', async () => {
    sim = await startSimulator({ seed: 2 });
    const root = await tempDir('pmi-inbox-retry-');
    const dir = join(root, 'inbox');
    store = await openTestDb(root);
    await seedInventory(store.db, sim);
    let now = Date.now();
    inbox = createInbox({ dir, db: store.db, clients: clientsFor(accessOf(sim), testLog()), log: testLog(), now: () => now, config: testActionsConfig({ policy: [] }) });
    await inbox.start();
    await inbox.rescan();

    // rejected/ replaced by a plain file: writing the rejection fails (as ENOSPC or EACCES would).
    rmSync(join(dir, 'rejected'), { recursive: true });
    writeFileSync(join(dir, 'rejected'), '');
    await drop(dir, request('not-allowed-1', sim.clusters[0]!.name, 101, 'stop'));
    await inbox.rescan();
    await waitFor(async () => (await store!.db.selectFrom('actions').select('outcome').where('id', '=', 'not-allowed-1').executeTakeFirst())?.outcome === 'rejected', 10_000, 'outcome recorded');
    expect(readdirSync(join(dir, 'cur'))).toHaveLength(1);

    rmSync(join(dir, 'rejected'));
    mkdirSync(join(dir, 'rejected'));
    now += 61_000;
    await inbox.rescan();
    await waitFor(() => readdirSync(join(dir, 'rejected')).includes('not-allowed-1.json'), 10_000, 'result written');
    expect(readdirSync(join(dir, 'cur'))).toHaveLength(0);
  }, 60_000);
});
