// Which stopped guests backfill asks rrddata for (issue 12 item 5): running when the gap began, or
// a lifecycle task of theirs inside the gap. Real SQLite.
import { afterEach, describe, expect, it } from 'vitest';
import { guestsActiveInGap } from '../../agent/store/backfill.repository.ts';
import { openDatabase, type Store } from '../../agent/store/open-database.ts';
import { writeSnapshot } from '../../agent/store/snapshot.repository.ts';
import { syntheticSnapshot } from '../../scripts/bench/store-synthetic.ts';
import type { TaskRecord } from '../../agent/poll/cluster-snapshot.ts';

let store: Store | undefined;
afterEach(async () => {
  await store?.close();
  store = undefined;
});

const FROM = 1_796_000_000;
const TO = FROM + 3600;
const task = (vmid: number, type: string, starttime: number): TaskRecord => ({
  upid: `UPID:pve1:00000001:00000001:${starttime.toString(16).toUpperCase()}:${type}:${vmid}:root@pam:`, node: 'pve1', type, objectId: String(vmid), vmid,
  user: 'root@pam', tokenid: null, starttime, endtime: starttime + 5, status: 'OK', ok: true,
});

describe('guestsActiveInGap', () => {
  it('running at the gap start, or started/stopped/migrated inside it; not backups, not tasks outside', async () => {
    store = await openDatabase(':memory:');
    // at FROM: guests 100..104 sampled except the stopped ones (every 5th: 100)
    const before = syntheticSnapshot({ cluster: 'c', ts: FROM, guests: 5, stoppedEvery: 5 });
    const sampled = before.guests.filter((g) => g.status !== 'stopped' && !g.template).map((g) => g.vmid);
    await writeSnapshot(store.db, before);
    const after = syntheticSnapshot({
      cluster: 'c', ts: TO, guests: 5, stoppedEvery: 5,
      tasks: [task(200, 'qmstart', FROM + 60), task(201, 'vzshutdown', FROM + 120), task(202, 'vzdump', FROM + 180), task(203, 'qmstart', FROM - 60), task(204, 'hamigrate', FROM + 240)],
    });
    await writeSnapshot(store.db, after);
    const got = [...(await guestsActiveInGap(store.db, 'c', FROM, TO))].sort((a, b) => a - b);
    expect(got).toEqual([...sampled, 200, 201, 204].sort((a, b) => a - b));
    expect(await guestsActiveInGap(store.db, 'unknown', FROM, TO)).toEqual(new Set());
  });
});
