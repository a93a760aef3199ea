import { describe, expect, it } from 'vitest';
import type { PolicyRule } from '../../agent/config/config.schema.ts';
import { checkPolicy, splitTags } from '../../agent/inbox/policy.ts';

const g = (over: Partial<{ cluster: string; vmid: number; tags: string[]; pool: string | null }> = {}) => ({ cluster: 'lab', vmid: 101, tags: ['web'], pool: 'prod', ...over });
const R = (r: Partial<PolicyRule>): PolicyRule => ({ actions: ['start'], ...r });

describe('checkPolicy', () => {
  it.each([
    // rules, action, guest, allowed
    [[], 'start', g(), false],
    [[R({})], 'start', g(), true],
    [[R({})], 'stop', g(), false],
    [[R({ actions: ['start', 'stop'] })], 'stop', g(), true],
    [[R({ clusters: ['lab'] })], 'start', g(), true],
    [[R({ clusters: ['prod'] })], 'start', g(), false],
    [[R({ vmids: [101, 102] })], 'start', g(), true],
    [[R({ vmids: [102] })], 'start', g(), false],
    [[R({ tags: ['web'] })], 'start', g(), true],
    [[R({ tags: ['WEB'] })], 'start', g(), true],
    [[R({ tags: ['db'] })], 'start', g(), false],
    [[R({ tags: ['web'] })], 'start', g({ tags: [] }), false],
    [[R({ pools: ['prod'] })], 'start', g(), true],
    [[R({ pools: ['prod'] })], 'start', g({ pool: null }), false],
    [[R({ clusters: ['lab'], vmids: [101], tags: ['web'], pools: ['prod'] })], 'start', g(), true],
    [[R({ clusters: ['lab'], vmids: [101], tags: ['web'], pools: ['dev'] })], 'start', g(), false],
    [[R({ vmids: [999] }), R({ tags: ['web'] })], 'start', g(), true],
    [[R({ actions: ['snapshot'], tags: ['web'] }), R({ actions: ['start'], vmids: [5] })], 'start', g(), false],
  ] as Array<[PolicyRule[], 'start' | 'stop', ReturnType<typeof g>, boolean]>)('%# %j %s → %s', (rules, action, guest, allowed) => {
    expect(checkPolicy(rules, action, guest).allowed).toBe(allowed);
  });

  it('explains a refusal, including the empty policy', () => {
    const none = checkPolicy([], 'start', g());
    expect(none.allowed === false && none.reason).toMatch(/no action policy is configured/);
    const no = checkPolicy([R({ vmids: [5] })], 'start', g());
    expect(no.allowed === false && no.reason).toMatch(/no policy rule allows "start" on lab\/101 \(tags: web, pool: prod\)/);
  });
});

describe('splitTags', () => {
  it.each([
    ['a;b', ['a', 'b']],
    ['a,b c', ['a', 'b', 'c']],
    ['', []],
    [null, []],
  ] as const)('%j → %j', (s, out) => expect(splitTags(s)).toEqual(out));
});
