// ≥ 1,000 bad files dropped through tmp/ → new/: each ends in rejected/ with a reason, the agent
// keeps running, and the simulator sees not a single request for them.
import { mkdir, readdir, rename, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInbox, type Inbox } from '../../agent/inbox/inbox.ts';
import type { PveClient } from '../../agent/pve/pve-client.types.ts';
import type { Store } from '../../agent/store/open-database.ts';
import { startSimulator, type SimHandle } from '../../scripts/pve-sim/index.ts';
import { accessOf, clientsFor, drop, openTestDb, request, results, seedInventory, tempDir, testActionsConfig, testLog, waitFor } from './inbox-harness.ts';

let sim: SimHandle;
let store: Store;
let inbox: Inbox;
let dir: string;
let clients: Map<string, PveClient>;

beforeAll(async () => {
  sim = await startSimulator({ seed: 7, guests: 12, taskTimeScale: 0.05 });
  const root = await tempDir('pmi-inbox-bad-');
  dir = join(root, 'inbox');
  store = await openTestDb(root);
  await seedInventory(store.db, sim);
  clients = clientsFor(accessOf(sim), testLog());
  // Only start/stop on vmids 101 and 102 are allowed: everything else is a policy rejection.
  inbox = createInbox({ dir, db: store.db, clients, log: testLog(), now: () => Date.now(), config: testActionsConfig({ policy: [{ actions: ['start', 'stop'], vmids: [101, 102] }] }) });
  await inbox.start();
  sim.resetStats();
});

afterAll(async () => {
  await inbox?.stop();
  for (const c of clients?.values() ?? []) await c.close();
  await store?.close();
  await sim?.stop();
});

describe('bad input', () => {
  it('rejects 1,000+ generated bad files before any Proxmox call, one reason each', async () => {
    const cluster = sim.clusters[0]!.name;
    const stopped = [...sim.world.clusters[0]!.guests.values()].find((g) => g.template === 0)!.vmid;
    const files: Array<{ name: string; expect: RegExp }> = [];
    const add = async (content: string | Uint8Array | object, expectReason: RegExp, name?: string) => files.push({ name: await drop(dir, content, name), expect: expectReason });
    // A valid request first, so later copies of its id are duplicates. It is rejected by policy
    // (vmid not allowed) — a duplicate of a rejected id is rejected again.
    await add(request('dup-base', cluster, stopped === 101 ? 103 : stopped, 'stop'), /no policy rule allows/);
    await inbox.idle();
    for (let i = 0; i < 1100; i++) {
      switch (i % 11) {
        case 0: await add(`{"version":1,"id":"bad-${i}",`, /invalid JSON/); break;
        case 1: await add({ version: 1, id: `bad-${i}`, cluster, vmid: String(101), action: 'start' }, /vmid: .*expected number/); break;
        case 2: await add({ version: 1, id: `bad-${i}`, cluster, action: 'start' }, /vmid: /); break;
        case 3: await add('x'.repeat(64 * 1024 + 1 + i), /64 KiB/); break;
        case 4: await add(Uint8Array.from({ length: 200 }, (_, k) => (k * 37 + i) % 256), /binary|UTF-8|control/); break;
        case 5: {
          const name = `link-${i}.json`;
          await symlink(i % 2 ? '/etc/passwd' : join(dir, '..', 'nowhere.json'), join(dir, 'tmp', name));
          await rename(join(dir, 'tmp', name), join(dir, 'new', name));
          files.push({ name, expect: /symbolic link/ });
          break;
        }
        case 6: await add(request(`bad-${i}`, cluster, 101, 'start', undefined, { expires: '2020-01-01T00:00:00Z' }), /expired/, `ünïcödé-名前-${i}-🚀.json`); break;
        case 7: await add(request('dup-base', cluster, 101, 'start'), /duplicate id "dup-base"/); break;
        case 8: await add(request(`bad-${i}`, cluster, 99999, 'start'), /unknown guest/); break;
        case 9: await add(request(`bad-${i}`, cluster, 101, 'migrate', { target: 'pve3' }), /no policy rule allows "migrate"|already is on node/); break;
        case 10: await add(request(`bad-${i}`, 'nowhere', 101, 'start'), /unknown cluster/); break;
      }
    }
    expect(files.length).toBeGreaterThanOrEqual(1000);
    await inbox.rescan();
    await waitFor(async () => (await readdir(join(dir, 'new'))).length === 0 && (await readdir(join(dir, 'cur'))).length === 0, 60_000, 'new/ and cur/ to drain');
    await inbox.idle();
    const all = await results(dir);
    expect(all.length).toBe(files.length);
    expect(all.every((r) => r.folder === 'rejected' && r.outcome === 'rejected' && typeof r.reason === 'string' && r.reason.length > 5)).toBe(true);
    const byFile = new Map(all.map((r) => [r.file, r]));
    for (const f of files) {
      const r = byFile.get(f.name);
      expect(r, f.name).toBeDefined();
      expect(r!.reason, f.name).toMatch(f.expect);
    }
    expect(sim.stats().requests).toBe(0);
  }, 120_000);

  it('rejects symlinks and non-regular files without following them', async () => {
    const target = join(dir, '..', 'secret.json');
    await writeFile(target, JSON.stringify(request('via-link', sim.clusters[0]!.name, 101, 'start')));
    for (let i = 0; i < 5; i++) {
      await symlink(target, join(dir, 'tmp', `l${i}.json`));
      await rename(join(dir, 'tmp', `l${i}.json`), join(dir, 'new', `l${i}.json`));
    }
    await mkdir(join(dir, 'new', 'a-directory.json'));
    await inbox.rescan();
    await inbox.idle();
    const all = await results(dir);
    const links = all.filter((r) => /^l\d\.json$/.test(r.file ?? ''));
    expect(links).toHaveLength(5);
    for (const r of links) expect(r.reason).toMatch(/symbolic link/);
    expect(all.find((r) => r.file === 'a-directory.json')?.reason).toMatch(/not a regular file/);
    expect(await readdir(join(dir, 'cur'))).toEqual([]);
    expect((await readdir(join(dir, 'rejected'))).filter((n) => n.endsWith('.dropped-directory'))).toHaveLength(1);
    expect(all.some((r) => r.id === 'via-link')).toBe(false);
    expect(sim.stats().requests).toBe(0);
  });

  it('keeps running: a valid request afterwards still runs', async () => {
    const g = sim.world.guest(sim.clusters[0]!.name, 101)!;
    const want = g.status === 'running' ? 'stopped' : 'running';
    await drop(dir, request('after-bad', sim.clusters[0]!.name, 101, g.status === 'running' ? 'stop' : 'start'));
    await inbox.rescan();
    const r = await waitFor(async () => (await results(dir)).find((x) => x.id === 'after-bad'), 20_000);
    expect(r.outcome, r.reason ?? '').toBe('done');
    expect(g.status).toBe(want);
    expect(sim.stats().byMethod.POST).toBe(1);
  });
});
