// Issue 14 item 5: guests' snapshot lists read from the simulator over HTTPS (real shapes, with
// the "current" pseudo-entry), stored, and read again in the cycle after a snapshot task ended.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Store } from '../../agent/store/open-database.ts';
import { writeSnapshot } from '../../agent/store/snapshot.repository.ts';
import { createSnapshotStage, mapSnapshotList } from '../../agent/snapshots/snapshot-list-stage.ts';
import { planSnapshotReads } from '../../agent/snapshots/snapshot-list-plan.ts';
import { startSimulator, type SimHandle } from '../../scripts/pve-sim/index.ts';
import type { PveClient } from '../../agent/pve/pve-client.types.ts';
import { clientsFor, closeAll, clusterConfig, logSink, pollerFor } from './poll-sim-helpers.ts';

let sim: SimHandle;
let dir: string;
let store: Store;
let clients: Map<string, PveClient>;
const sink = logSink();

beforeAll(async () => {
  sim = await startSimulator({ seed: 14, nodesPerCluster: 2, guests: 10, taskTimeScale: 0.02 });
  dir = mkdtempSync(join(tmpdir(), 'pmi-snaps-'));
  store = await openDatabase(join(dir, 'pmi.db'));
  clients = clientsFor(sim, sink.log, [clusterConfig(sim, 0)]);
}, 60_000);

afterAll(async () => {
  if (clients) await closeAll(clients);
  await store?.close();
  await sim?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function cycle() {
  const outcomes = await pollerFor(clients, sink.log).pollAll();
  for (const o of outcomes) if (o.snapshot) await writeSnapshot(store.db, o.snapshot);
  return outcomes;
}

const listOf = (vmid: number) => store.sqlite.prepare('select snapshot, parent, vmstate, is_current_parent from v_guest_snapshots where vmid = ? order by snaptime').all(vmid) as Array<Record<string, unknown>>;

describe('snapshot lists', () => {
  it('plans each guest once per period, spread over its cycles, and out of turn after a snapshot task', () => {
    const guests = Array.from({ length: 100 }, (_, k) => ({ vmid: 100 + k, type: 'qemu' as const, node: 'pve1' }));
    const base = { intervalSeconds: 60, periodSeconds: 86_400, guests, tasks: [], onlineNodes: new Set(['pve1']), fetchedAt: new Map<number, number>() };
    const seen = new Map<number, number>();
    let most = 0;
    for (let c = 0; c < 1440; c++) {
      const plan = planSnapshotReads({ ...base, cycle: c });
      most = Math.max(most, plan.length);
      for (const r of plan) seen.set(r.vmid, (seen.get(r.vmid) ?? 0) + 1);
    }
    expect(seen.size).toBe(100);
    expect([...seen.values()].every((n) => n === 1)).toBe(true);
    expect(most).toBe(1);
    const after = planSnapshotReads({ ...base, cycle: 7, tasks: [{ type: 'qmsnapshot', vmid: 150, endtime: 500 }, { type: 'qmstart', vmid: 151, endtime: 500 }], fetchedAt: new Map([[150, 400], [151, 400]]) });
    expect(after.find((r) => r.vmid === 150)?.why).toBe('task');
    expect(after.find((r) => r.vmid === 151)).toBeUndefined();
    expect(planSnapshotReads({ ...base, cycle: 7, onlineNodes: new Set(), tasks: [{ type: 'qmsnapshot', vmid: 150, endtime: 500 }] })).toEqual([]);
  });

  it('keeps the "current" pseudo-entry out of the list and its parent on the fetch', () => {
    expect(mapSnapshotList(101, [{ name: 'a', snaptime: 10, description: 'x', vmstate: 1 }, { name: 'current', description: 'You are here!', parent: 'a', running: 1 }]))
      .toEqual({ vmid: 101, currentParent: 'a', entries: [{ name: 'a', snaptime: 10, description: 'x', parent: null, vmstate: 1 }] });
    expect(mapSnapshotList(101, { not: 'a list' }).error).toMatch(/malformed snapshot list/);
  });

  it('reads every list from the simulator, then re-reads a guest right after its snapshot task', async () => {
    const first = await cycle();
    // A period of one cycle: every guest is due now.
    const all = await createSnapshotStage({ clients, db: store.db, log: sink.log, now: () => Date.now(), intervalSeconds: 60, periodSeconds: 60 }).run(first);
    const guests = first[0]!.snapshot!.guests;
    const onOnline = guests.filter((g) => first[0]!.snapshot!.nodes.some((n) => n.node === g.node && n.status === 'online'));
    expect(all.requests).toBe(onOnline.length);
    expect(all.failed).toBe(0);
    const fetched = store.sqlite.prepare('select count(*) n from guest_snapshot_fetches').get() as { n: number };
    expect(fetched.n).toBe(onOnline.length);
    const withSnap = store.sqlite.prepare(`select vmid from v_guest_snapshots where snapshot = 'before-upgrade'`).all() as Array<{ vmid: number }>;
    expect(withSnap.length).toBeGreaterThan(0);
    expect(listOf(withSnap[0]!.vmid)).toEqual([expect.objectContaining({ snapshot: 'before-upgrade', is_current_parent: 1 })]);

    // A snapshot through the API, as the inbox executor makes it.
    const g = onOnline.find((x) => x.type === 'qemu' && !x.template)!;
    const client = clients.get(sim.clusters[0]!.name)!;
    await client.post(`/nodes/${g.node}/qemu/${g.vmid}/snapshot`, { snapname: 'pre-test', description: 'made by the test' });
    const daily = createSnapshotStage({ clients, db: store.db, log: sink.log, now: () => Date.now(), intervalSeconds: 60 });
    let listed: Array<Record<string, unknown>> = [];
    for (let k = 0; k < 40 && !listed.some((r) => r.snapshot === 'pre-test'); k++) {
      await new Promise((r) => setTimeout(r, 250));
      await daily.run(await cycle());
      listed = listOf(g.vmid);
    }
    expect(listed.map((r) => r.snapshot), `snapshot list of ${g.vmid} after 40 cycles; log: ${sink.text().slice(-2000)}`).toContain('pre-test');
    expect(listed.find((r) => r.snapshot === 'pre-test')).toMatchObject({ is_current_parent: 1, vmstate: 0 });
  }, 60_000);
});
