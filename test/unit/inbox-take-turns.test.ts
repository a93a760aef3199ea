import { describe, expect, it } from 'vitest';
import { takeTurns } from '../../agent/inbox/take-turns.ts';
import { linkSettingFindings } from '../../agent/inbox/kernel-settings.ts';

const drain = <E extends { uid: number }>(t: ReturnType<typeof takeTurns<E>>) => {
  const out: E[] = [];
  for (let e = t.next(); e; e = t.next()) out.push(e);
  return out;
};

describe('takeTurns', () => {
  it('hands out one entry per owner in turn, name order within an owner', () => {
    const junk = Array.from({ length: 1000 }, (_, i) => ({ uid: 66, n: `a${i}` }));
    const order = drain(takeTurns([...junk, { uid: 1000, n: 'z-alice' }, { uid: 1000, n: 'z-alice-2' }]));
    expect(order.slice(0, 4).map((e) => e.n)).toEqual(['a0', 'z-alice', 'a1', 'z-alice-2']);
    expect(order).toHaveLength(1002);
  });

  it('goes on after the last owner when the list is rebuilt', () => {
    const t = takeTurns([{ uid: 1, n: 'a' }, { uid: 2, n: 'b' }, { uid: 3, n: 'c' }], 1);
    expect(drain(t).map((e) => e.uid)).toEqual([2, 3, 1]);
    expect(t.lastOwner()).toBe(1);
    expect(drain(takeTurns([]))).toEqual([]);
  });
});

describe('linkSettingFindings', () => {
  it('reports the link protections that are off, nothing when they are on', () => {
    expect(linkSettingFindings({ protected_hardlinks: '1\n', protected_symlinks: '1\n' })).toEqual([]);
    const f = linkSettingFindings({ protected_hardlinks: '0\n', protected_symlinks: '0\n' });
    expect(f).toHaveLength(2);
    expect(f[0]).toMatch(/protected_hardlinks is 0.*more than one link/);
  });
});
