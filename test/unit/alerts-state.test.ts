import { describe, expect, it } from 'vitest';
import { stepRule, type InstanceRow, type Match } from '../../agent/alerts/alert-state.ts';
import { planNotifications, instanceKey } from '../../agent/alerts/notify-plan.ts';
import { Route } from '../../agent/alerts/alerts-config.schema.ts';
import { standingWindowEnd } from '../../agent/alerts/silences.ts';
import { StandingSilence } from '../../agent/alerts/alerts-config.schema.ts';
import { matchesAll } from '../../agent/alerts/label-matchers.ts';
import { busyFromRows, busyIndex, muteReason } from '../../agent/alerts/mutes.ts';

const rule = { name: 'node-offline', forSeconds: 120, keepFiringForSeconds: 60 };
const m = (node: string): Match => ({ fingerprint: JSON.stringify({ cluster: 'a', node }), labels: { cluster: 'a', node }, severity: 'critical', summary: `node ${node}` });

/** Runs the machine over a sequence of (time, matching nodes), keeping state as the store would. */
function run(seq: [number, string[]][], r = rule) {
  let state = new Map<string, InstanceRow>();
  const log: string[] = [];
  let writes = 0;
  for (const [t, nodes] of seq) {
    const step = stepRule(r, state, new Map(nodes.map((n) => [m(n).fingerprint, m(n)])), t);
    writes += step.upserts.length + step.deletes.length;
    for (const tr of step.transitions) log.push(`${t} ${JSON.parse(tr.labels).node} ${tr.from}>${tr.to}`);
    state = new Map(state);
    for (const u of step.upserts) state.set(u.fingerprint, u);
    for (const d of step.deletes) state.delete(d.fingerprint);
  }
  return { log, writes, state };
}

describe('alert state machine', () => {
  it('pending → firing after `for`, resolved after `keepFiringFor`, written only on changes', () => {
    const seq: [number, string[]][] = [];
    for (let t = 0; t <= 600; t += 60) seq.push([t, t >= 60 && t <= 300 ? ['n1'] : []]);
    const { log, writes } = run(seq);
    expect(log).toEqual(['60 n1 inactive>pending', '180 n1 pending>firing', '420 n1 firing>resolved']);
    // pending, firing, cleared_at edge at 360, resolved at 420: four writes over eleven cycles
    expect(writes).toBe(4);
  });

  it('a flap shorter than `for` goes back to inactive without firing', () => {
    expect(run([[0, ['n1']], [60, ['n1']], [120, []]]).log).toEqual(['0 n1 inactive>pending', '120 n1 pending>inactive']);
  });

  it('keepFiringFor absorbs a short clear (hysteresis)', () => {
    const { log } = run([[0, ['n1']], [120, ['n1']], [180, []], [210, ['n1']], [240, []], [300, []]]);
    expect(log).toEqual(['0 n1 inactive>pending', '120 n1 pending>firing', '300 n1 firing>resolved']);
  });

  it('for 0 fires at once; a resolved instance can fire again', () => {
    const { log } = run([[0, ['n1']], [60, []], [120, ['n1']]], { name: 'x', forSeconds: 0, keepFiringForSeconds: 0 });
    expect(log).toEqual(['0 n1 inactive>firing', '60 n1 firing>resolved', '120 n1 resolved>firing']);
  });

  it('nothing is written while nothing changes', () => {
    const seq: [number, string[]][] = Array.from({ length: 100 }, (_, i) => [i * 60, ['n1']]);
    expect(run(seq).writes).toBe(2);
  });
});

describe('notifications plan', () => {
  const inst = (over: Partial<InstanceRow>): InstanceRow => ({
    rule: 'guest-paused', fingerprint: '{"cluster":"a","node":"n1","vmid":"101"}', labels: '{"cluster":"a","node":"n1","vmid":"101"}', state: 'firing',
    severity: 'warning', summary: 's', active_since: 0, firing_since: 0, cleared_at: null, resolved_at: null, muted: null, notified: null, notified_at: null, updated_at: 0, ...over,
  });
  const routes = [Route.parse({ targets: ['hook'], groupWaitSeconds: 10, repeatIntervalSeconds: 3600 })];
  const plan = (instances: InstanceRow[], extra: Partial<Parameters<typeof planNotifications>[0]> = {}) =>
    planNotifications({
      now: 1000, rules: new Map([['node-offline', { mutes: true }], ['guest-paused', { mutes: false }]]), transitions: [], busy: new Map(), silences: [], routes, targets: [{ name: 'hook' }],
      instances: new Map(instances.map((i) => [instanceKey(i.rule, i.fingerprint), i])), ...extra,
    });

  it('a firing instance is notified once, grouped by alertname and cluster, due after groupWait', () => {
    const p = plan([inst({})]);
    expect(p.queue).toHaveLength(1);
    expect(p.queue[0]).toMatchObject({ target: 'hook', kind: 'firing', dueAt: 1010, groupKey: '0:["guest-paused","a"]' });
    expect(p.changed[0]).toMatchObject({ notified: 'firing', notified_at: 1000 });
    expect(plan([inst({ notified: 'firing', notified_at: 900 })]).queue).toHaveLength(0);
    expect(plan([inst({ notified: 'firing', notified_at: 1000 - 3600 })]).queue[0]!.kind).toBe('repeat');
  });

  it('a node offline mutes the guests on it, with why; muted alerts are not sent', () => {
    const node = inst({ rule: 'node-offline', fingerprint: '{"cluster":"a","node":"n1"}', labels: '{"cluster":"a","node":"n1"}', notified: 'firing', notified_at: 1000 });
    const p = plan([node, inst({})]);
    expect(p.queue).toHaveLength(0);
    expect(p.changed.find((c) => c.rule === 'guest-paused')!.muted).toBe('node-offline (cluster=a, node=n1)');
  });

  it('an action the agent runs mutes the guest; a silence suppresses sending', () => {
    const busy = new Map([['a/101', [{ cluster: 'a', vmid: 101, why: 'action shutdown (r1) is running' }]]]);
    expect(plan([inst({})], { busy }).changed[0]!.muted).toBe('action shutdown (r1) is running');
    const silences = [{ id: 's1', matchers: [{ label: 'vmid', op: '=' as const, value: '101' }], endsAt: 2000, reason: 'r', createdBy: 'u' }];
    expect(plan([inst({})], { silences }).queue).toHaveLength(0);
  });

  it('a running backup mutes what its mode causes: stop → guest stopped; suspend → stopped and paused; snapshot → nothing; unknown → everything', () => {
    const guest = { cluster: 'a', vmid: '101', node: 'n1' };
    const lock = (mode: string | null) => busyIndex(busyFromRows([
      { cluster: 'a', vmid: 101, why: 'the guest is locked for backup', backup: true, mode },
      { cluster: 'a', vmid: 102, why: 'action stop (r2) is running', backup: false, mode: null },
    ]));
    const reasons = (mode: string | null) => ['guest-stopped-unexpectedly', 'guest-paused', 'backup-overdue'].map((r) => muteReason(r, guest, [], lock(mode)));
    expect(reasons('stop')).toEqual(['the guest is locked for backup (backup in stop mode)', null, null]);
    expect(reasons('suspend')).toEqual(['the guest is locked for backup (backup in suspend mode)', 'the guest is locked for backup (backup in suspend mode)', null]);
    expect(reasons('snapshot')).toEqual([null, null, null]);
    expect(reasons(null)).toEqual(Array(3).fill('the guest is locked for backup (backup mode unknown)'));
    // an action still mutes everything of its guest, and a guest busy twice keeps both reasons
    expect(muteReason('guest-paused', { cluster: 'a', vmid: '102' }, [], lock('snapshot'))).toBe('action stop (r2) is running');
    const both = busyIndex(busyFromRows([
      { cluster: 'a', vmid: 101, why: 'backup task T is running', backup: true, mode: 'stop' },
      { cluster: 'a', vmid: 101, why: 'action migrate (r3) is running', backup: false, mode: null },
    ]));
    expect(muteReason('guest-stopped-unexpectedly', guest, [], both)).toBe('backup task T is running (backup in stop mode)');
    expect(muteReason('guest-paused', guest, [], both)).toBe('action migrate (r3) is running');
  });

  it('a resolved instance that was notified sends a resolved notice', () => {
    const p = plan([inst({ state: 'resolved', resolved_at: 1000, notified: 'firing', notified_at: 500 })]);
    expect(p.queue.map((q) => q.kind)).toEqual(['resolved']);
    expect(plan([inst({ state: 'resolved', resolved_at: 1000, notified: null })]).queue).toHaveLength(0);
  });
});

describe('silences and matchers', () => {
  it('a standing window every Sunday 02:00–04:00 (and one across midnight)', () => {
    const s = StandingSilence.parse({ name: 'w', matchers: [{ label: 'cluster', value: 'a' }], days: ['sun'], start: '02:00', end: '04:00', reason: 'maintenance' });
    const sun = Date.UTC(2026, 11, 6) / 1000; // Sunday 2026-12-06
    expect(standingWindowEnd(s, sun + 3 * 3600)).toBe(sun + 4 * 3600);
    expect(standingWindowEnd(s, sun + 4 * 3600)).toBeUndefined();
    expect(standingWindowEnd(s, sun + 86_400 + 3 * 3600)).toBeUndefined();
    const night = StandingSilence.parse({ ...s, start: '23:00', end: '01:00' });
    expect(standingWindowEnd(night, sun + 86_400 + 1800)).toBe(sun + 86_400 + 3600);
  });
  it('matchers', () => {
    expect(matchesAll({ cluster: 'prod-1', alertname: 'x' }, [{ label: 'cluster', op: '=~', value: 'prod-.*' }, { label: 'alertname', op: '!=', value: 'y' }])).toBe(true);
    expect(matchesAll({ cluster: 'lab' }, [{ label: 'cluster', op: '!~', value: 'l.*' }])).toBe(false);
  });
});
