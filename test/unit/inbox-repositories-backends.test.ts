// The inbox's SQL on both store backends (issue 17 item 3: the whole store suite runs on both):
// the actions repository (rows, request ids scoped per submitter, the state machine's updates),
// retention, the fleet's claim, and the inventory lookup an action is checked against.
import { afterEach, describe, expect, it } from 'vitest';
import type { Insertable } from 'kysely';
import {
  findAction, findByFile, findGuest, findRequest, inboxDb, insertAction, listUnfinished, markPosting, replaceFailedAction, updateAction,
  type InboxDatabase,
} from '../../agent/inbox/action.repository.ts';
import { deleteActions, listExpiredActions } from '../../agent/store/action-retention.repository.ts';
import { claimAction } from '../../agent/store/action-claim.repository.ts';
import { acquireLease, registerAgent } from '../../agent/store/lease.repository.ts';
import { writeSnapshot } from '../../agent/store/snapshot.repository.ts';
import { syntheticSnapshot } from '../../scripts/bench/store-synthetic.ts';
import { STORE_BACKENDS, openTestStore, rawQuery, type TestStore } from '../support/store-backends.ts';

const T0 = 1_800_000_000;

const action = (id: string, o: Partial<Insertable<InboxDatabase['actions']>> = {}): Insertable<InboxDatabase['actions']> => ({
  id, cluster: 'lab', vmid: 101, guest_type: 'qemu', node: 'pve1', action: 'start', params: '{}', reason: 'test', submitter: 'alice',
  file_name: `${id}.json`, state: 'queued', outcome: null, received_at: T0, updated_at: T0, request_id: id, submitter_uid: 1000,
  received_by: 'a', claimed_by: null, ...o,
});

describe.each(STORE_BACKENDS)('inbox repositories on %s', (backend) => {
  let store: TestStore | undefined;
  afterEach(async () => {
    await store?.close();
    store = undefined;
  });

  it('inserts a request once and finds it by id, by request id in its submitter\'s scope, and by file', async () => {
    store = await openTestStore(backend);
    const db = inboxDb(store.db);
    expect(await insertAction(db, action('r1'))).toBe(true);
    expect(await insertAction(db, action('r1', { reason: 'again' }))).toBe(false);
    expect(await insertAction(db, action('anon', { submitter_uid: null, request_id: 'r1', file_name: 'same.json', received_by: 'b', received_at: T0 + 5 }))).toBe(true);
    expect(await insertAction(db, action('r2', { file_name: 'same.json', received_by: 'a', received_at: T0 + 1 }))).toBe(true);

    expect(await findAction(db, 'r1')).toMatchObject({ id: 'r1', reason: 'test', attempts: 0, state: 'queued' });
    expect(await findAction(db, 'nope')).toBeUndefined();
    expect((await findRequest(db, 1000, 'r1'))?.id).toBe('r1');
    expect((await findRequest(db, null, 'r1'))?.id).toBe('anon');
    expect(await findRequest(db, 1001, 'r1')).toBeUndefined();
    expect((await findByFile(db, 'same.json'))?.id).toBe('anon'); // newest
    expect((await findByFile(db, 'same.json', 'a'))?.id).toBe('r2'); // this agent's inbox only
  });

  it('moves a row through its states and replaces only a failed one', async () => {
    store = await openTestStore(backend);
    const db = inboxDb(store.db);
    await insertAction(db, action('r1'));
    await insertAction(db, action('r0', { received_at: T0 - 10 }));
    await insertAction(db, action('done', { state: 'done', outcome: 'done', finished_at: T0 }));
    expect((await listUnfinished(db)).map((r) => r.id)).toEqual(['r0', 'r1']);

    await markPosting(db, 'r1', 'pve2', T0 + 1);
    await markPosting(db, 'r1', 'pve2', T0 + 2);
    expect(await findAction(db, 'r1')).toMatchObject({ state: 'posting', node: 'pve2', attempts: 2, posted_at: T0 + 2, upid: null });
    await updateAction(db, 'r1', { state: 'done', outcome: 'failed', error_code: 'PVE_TASK_FAILED', finished_at: T0 + 3, updated_at: T0 + 3 });
    expect((await listUnfinished(db)).map((r) => r.id)).toEqual(['r0']);

    expect(await replaceFailedAction(db, action('r0', { reason: 'resubmitted' }))).toBe(false); // not failed
    expect(await replaceFailedAction(db, action('r1', { reason: 'resubmitted', received_at: T0 + 10 }))).toBe(true);
    expect(await findAction(db, 'r1')).toMatchObject({ reason: 'resubmitted', attempts: 0, outcome: null, error_code: null, finished_at: null, state: 'queued' });
  });

  it('lists and deletes finished rows past retention, oldest first, in batches', async () => {
    store = await openTestStore(backend);
    const db = inboxDb(store.db);
    for (let i = 0; i < 5; i++) await insertAction(db, action(`old${i}`, { state: 'done', outcome: 'done', finished_at: T0 - 100 + i, result_file: `done/old${i}.json` }));
    await insertAction(db, action('recent', { state: 'done', outcome: 'done', finished_at: T0 + 100 }));
    await insertAction(db, action('running', { state: 'running', finished_at: null }));
    const first = await listExpiredActions(db, T0, 3);
    expect(first).toEqual([0, 1, 2].map((i) => ({ id: `old${i}`, result_file: `done/old${i}.json`, received_by: 'a' })));
    expect(await deleteActions(db, first.map((r) => r.id))).toBe(3);
    expect(await deleteActions(db, [])).toBe(0);
    expect((await listExpiredActions(db, T0, 10)).map((r) => r.id)).toEqual(['old3', 'old4']);
    const left = await rawQuery<{ n: number }>(store, 'select count(*) as n from actions');
    expect(Number(left[0]!.n)).toBe(4);
  });

  it('lets the holder of the guest\'s cluster claim an unfinished action, and nobody else', async () => {
    store = await openTestStore(backend);
    const db = inboxDb(store.db);
    const nowMs = T0 * 1000;
    await registerAgent(store.db, { id: 'a', host: 'h', pid: 1, nowMs, intervalSeconds: 10, leaseMs: 10_000, clusters: ['lab'], publishCopy: false });
    expect(await acquireLease(store.db, 'a', 'lab', undefined, 'acquired', nowMs, 10_000)).toBe(true);
    await insertAction(db, action('r1'));
    await insertAction(db, action('r2', { outcome: 'done', state: 'done' }));
    expect(await claimAction(store.db, 'r1', 'b', nowMs)).toBe(false);
    expect(await claimAction(store.db, 'r1', 'a', nowMs)).toBe(true);
    expect(await claimAction(store.db, 'r1', 'a', nowMs)).toBe(true); // idempotent for the holder
    expect(await claimAction(store.db, 'r2', 'a', nowMs)).toBe(false); // finished
    expect(await claimAction(store.db, 'r1', 'a', nowMs + 20_000)).toBe(false); // lease expired
    expect((await findAction(db, 'r1'))?.claimed_by).toBe('a');
  });

  it('finds a guest of the inventory by cluster name and vmid', async () => {
    store = await openTestStore(backend);
    await writeSnapshot(store.db, syntheticSnapshot({ cluster: 'lab', ts: T0, guests: 3, firstVmid: 100 }));
    const db = inboxDb(store.db);
    expect(await findGuest(db, 'lab', 101)).toMatchObject({ cluster: 'lab', vmid: 101, node: 'pve2', template: 0 });
    expect(await findGuest(db, 'lab', 999)).toBeUndefined();
    expect(await findGuest(db, 'other', 101)).toBeUndefined();
  });
});
