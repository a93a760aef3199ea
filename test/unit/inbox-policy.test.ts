import { describe, expect, it } from 'vitest';
import type { PolicyRule } from '../../agent/config/config.schema.ts';
import { checkPolicy, describePolicy, splitTags, type PolicySubmitter } from '../../agent/inbox/policy.ts';

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

describe('checkPolicy by user and group', () => {
  const alice: PolicySubmitter = { uid: 1000, user: 'alice', gids: [1000, 2000], groups: ['alice', 'web-team'] };
  const bob: PolicySubmitter = { uid: 1001, user: 'bob', gids: [1001, 2001], groups: ['bob', 'dev-team'] };
  it.each([
    [R({ users: ['alice'] }), alice, true],
    [R({ users: ['alice'] }), bob, false],
    [R({ users: [1001] }), bob, true],
    [R({ users: ['1001'] }), bob, true],
    [R({ groups: ['web-team'] }), alice, true],
    [R({ groups: ['web-team'] }), bob, false],
    [R({ groups: [2001] }), bob, true],
    [R({ users: ['alice'], groups: ['dev-team'] }), alice, false],
    [R({ users: ['alice'] }), { uid: null, user: null }, false],
  ] as Array<[PolicyRule, PolicySubmitter, boolean]>)('%# %j for %j → %s', (rule, who, allowed) => {
    expect(checkPolicy([rule], 'start', g(), who).allowed).toBe(allowed);
  });

  it('names the submitter in a refusal', () => {
    const no = checkPolicy([R({ users: ['alice'] })], 'start', g(), bob);
    expect(no.allowed === false && no.reason).toMatch(/for bob \(groups bob, dev-team\)$/);
  });

  it('lists who may do what where, one line per rule', () => {
    expect(describePolicy([R({ actions: ['start', 'stop'], groups: ['web-team'], pools: ['web'] }), R({ users: ['bot', 1207], clusters: ['prod'] }), R({})])).toEqual([
      'actions.policy[0]: members of web-team may start, stop on every cluster, pools web',
      'actions.policy[1]: users bot, 1207 may start on clusters prod',
      'actions.policy[2]: every member of the submit group may start on every cluster',
    ]);
    expect(describePolicy([])).toEqual(['actions.policy is empty: nobody may do anything']);
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
