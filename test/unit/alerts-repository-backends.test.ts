// The alert engine's repository on both store backends (issue 17 item 1): fire, resolve and the
// notification bookkeeping (queue → outbox → attempts) keep the ids they insert. Regression: the
// ids were taken from kysely's `insertId`, which the PostgreSQL dialect never sets (NaN there).
import { afterEach, describe, expect, it } from 'vitest';
import {
  alertsDb, batchIntoOutbox, dueGroups, openEvents, outboxHeads, pruneResolved, recordAttempt, undeliveredCount,
  writeAlertChanges, loadInstances, insertSilence, type AlertWrite,
} from '../../agent/store/alerts.repository.ts';
import type { InstanceRow } from '../../agent/alerts/alert-state.ts';
import { STORE_BACKENDS, openTestStore, rawQuery, type TestStore } from '../support/store-backends.ts';

const T0 = 1_800_000_000;

const instance = (state: InstanceRow['state'], at: number): InstanceRow => ({
  rule: 'guest_down', fingerprint: 'f1', labels: '{"vmid":"101"}', state, severity: 'critical', summary: 'guest 101 is down',
  active_since: T0, firing_since: state === 'pending' ? null : T0 + 60, cleared_at: null, resolved_at: state === 'resolved' ? at : null,
  muted: null, notified: null, notified_at: null, updated_at: at,
});

const transition = (from: 'pending' | 'firing', to: 'firing' | 'resolved', ts: number) => ({
  ts, rule: 'guest_down', fingerprint: 'f1', labels: '{"vmid":"101"}', from, to, severity: 'critical' as const, summary: 'guest 101 is down', muted: null, silenced: null,
});

describe.each(STORE_BACKENDS)('alerts repository on %s', (backend) => {
  let store: TestStore | undefined;
  afterEach(async () => {
    await store?.close();
    store = undefined;
  });

  it('fires, resolves and batches notifications with the ids it inserted', async () => {
    store = await openTestStore(backend);
    const db = alertsDb(store.db);

    const fire: AlertWrite = {
      upserts: [instance('firing', T0 + 60)], deletes: [],
      transitions: [transition('pending', 'firing', T0 + 60)],
      queue: [{ target: 'ops', groupKey: 'g', kind: 'firing', event: { n: 1 }, createdAt: T0 + 60, dueAt: T0 + 90, transitionIndex: 0 }],
    };
    await writeAlertChanges(db, fire);
    const resolve: AlertWrite = {
      upserts: [instance('resolved', T0 + 120)], deletes: [],
      transitions: [transition('firing', 'resolved', T0 + 120)],
      queue: [{ target: 'ops', groupKey: 'g', kind: 'resolved', event: { n: 2 }, createdAt: T0 + 120, dueAt: T0 + 120, transitionIndex: 0 }],
    };
    await writeAlertChanges(db, resolve);

    const [inst] = await loadInstances(db);
    expect(inst).toMatchObject({ state: 'resolved', resolved_at: T0 + 120 });

    const transitions = await rawQuery<{ id: number; to_state: string }>(store, 'select id, to_state from alert_transitions order by id');
    expect(transitions.map((t) => t.to_state)).toEqual(['firing', 'resolved']);
    const queue = await rawQuery<{ id: number; transition_id: number | null; kind: string }>(store, 'select id, transition_id, kind from alert_notify_queue order by id');
    // each queued event points at the transition written in the same step
    expect(queue.map((q) => [q.kind, q.transition_id])).toEqual([['firing', transitions[0]!.id], ['resolved', transitions[1]!.id]]);

    const [group] = await dueGroups(db, T0 + 120);
    expect(group).toEqual({ target: 'ops', groupKey: 'g' });
    const events = await openEvents(db, group!);
    expect(events.map((e) => e.event)).toEqual([{ n: 1 }, { n: 2 }]);

    const outboxId = await batchIntoOutbox(db, group!, events.map((e) => e.id), 'key-1', { events: 2 }, T0 + 121);
    expect(Number.isInteger(outboxId)).toBe(true);
    const marked = await rawQuery<{ batched_into: number | null }>(store, 'select batched_into from alert_notify_queue order by id');
    expect(marked.map((m) => m.batched_into)).toEqual([outboxId, outboxId]);
    expect(await dueGroups(db, T0 + 200)).toEqual([]);

    const [head] = await outboxHeads(db);
    expect(head).toMatchObject({ id: outboxId, target: 'ops', idempotencyKey: 'key-1', payload: { events: 2 }, attempts: 0 });
    expect(await undeliveredCount(db)).toBe(1);

    await recordAttempt(db, { outboxId, ts: T0 + 122, ok: false, durationMs: 12.4, detail: 'HTTP 503', nextAttemptAt: T0 + 180 });
    await recordAttempt(db, { outboxId, ts: T0 + 180, ok: true, durationMs: 8, detail: null, nextAttemptAt: T0 + 180 });
    const attempts = await rawQuery<{ outbox_id: number; ok: number }>(store, 'select outbox_id, ok from alert_delivery_attempts order by id');
    expect(attempts).toEqual([{ outbox_id: outboxId, ok: 0 }, { outbox_id: outboxId, ok: 1 }]);
    expect(await undeliveredCount(db)).toBe(0);
    expect(await outboxHeads(db)).toEqual([]);

    await pruneResolved(db, T0 + 121);
    expect(await loadInstances(db)).toEqual([]);
  });

  it('a silence id is inserted once', async () => {
    store = await openTestStore(backend);
    const db = alertsDb(store.db);
    const s = { id: 's1', matchers: [], startsAt: T0, endsAt: T0 + 3600, reason: 'maintenance', createdBy: 'alice', createdAt: T0 };
    expect(await insertSilence(db, s)).toBe(true);
    expect(await insertSilence(db, s)).toBe(false);
  });
});
