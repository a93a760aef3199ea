import { describe, expect, it } from 'vitest';
import { ownersInTurn } from '../../agent/inbox/take-turns.ts';
import { linkSettingFindings } from '../../agent/inbox/kernel-settings.ts';

describe('ownersInTurn', () => {
  it.each([
    [[66, 1000, 66], undefined, [66, 1000]],
    [[1, 2, 3], 1, [2, 3, 1]],
    [[1, 2, 3], 3, [1, 2, 3]],
    [[1, 2, 3], 0, [1, 2, 3]],
    [[], 5, []],
  ] as Array<[number[], number | undefined, number[]]>)('%j after %s → %j', (owners, after, out) => expect(ownersInTurn(owners, after)).toEqual(out));
});

describe('linkSettingFindings', () => {
  it('reports the link protections that are off, nothing when they are on', () => {
    expect(linkSettingFindings({ protected_hardlinks: '1\n', protected_symlinks: '1\n' })).toEqual([]);
    const f = linkSettingFindings({ protected_hardlinks: '0\n', protected_symlinks: '0\n' });
    expect(f).toHaveLength(2);
    expect(f[0]).toMatch(/protected_hardlinks is 0.*more than one link/);
  });
});
