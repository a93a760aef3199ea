// planGuests (snapshot.repository.ts): what a cycle changes in `guests`, against the rows as last
// written. An unchanged guest's row is carried over as it is (the same object: at 10,000 guests a
// copy per guest and cycle was most of the PostgreSQL store stage's garbage collection, #17 item 5).
import { describe, expect, it } from 'vitest';
import { planGuests } from '../../agent/store/snapshot.repository.ts';
import { syntheticSnapshot } from '../../scripts/bench/store-synthetic.ts';

const T0 = 1_800_000_000;

describe('planGuests', () => {
  it('carries unchanged rows over as they are, rewrites changed and returning ones, marks vanished ones', () => {
    const first = planGuests(1, syntheticSnapshot({ ts: T0, guests: 6, stoppedEvery: 0 }), new Map());
    expect(first.inserts).toHaveLength(6);
    const before = new Map(first.now);
    // next cycle: vmid 101 stopped (changed), vmid 105 gone
    const snap = syntheticSnapshot({ ts: T0 + 30, guests: 6, stoppedEvery: 0, stopped: new Set([101]) });
    snap.guests = snap.guests.filter((g) => g.vmid !== 105);
    const plan = planGuests(1, snap, before);
    expect(plan.inserts).toEqual([]);
    expect(plan.updates.map((r) => r[1])).toEqual([101]);
    expect(plan.gone).toEqual([105]);
    expect(plan.statusChanges).toEqual([[1, 101, T0 + 30, 'running', 'stopped', 'pve2']]);
    for (const vmid of [100, 102, 103, 104]) expect(plan.now.get(vmid)).toBe(before.get(vmid));
    expect(plan.now.get(101)).toEqual({ ...before.get(101), status: 'stopped', changed_at: T0 + 30 });
    expect(plan.now.get(105)).toEqual({ ...before.get(105), removed_at: T0 + 30, changed_at: T0 + 30 });
    // the rows passed in are not changed
    expect(before.get(101)!.status).toBe('running');
    expect(before.get(105)!.removed_at).toBeNull();
    // the guest that came back is rewritten (removed_at cleared, changed_at moved), first_seen kept
    const back = planGuests(1, syntheticSnapshot({ ts: T0 + 60, guests: 6, stoppedEvery: 0, stopped: new Set([101]) }), plan.now);
    expect(back.updates.map((r) => r[1])).toEqual([105]);
    expect(back.now.get(105)).toEqual({ ...before.get(105), changed_at: T0 + 60 });
    expect(back.statusChanges).toEqual([[1, 105, T0 + 60, null, 'running', 'pve3']]);
  });
});
