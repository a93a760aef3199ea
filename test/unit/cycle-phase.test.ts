// Cycle phases (issue 17 item 5): agents of one database fire at different moments of the interval.
import { describe, expect, it } from 'vitest';
import { cyclePhaseMs, leaseHolder, liveAgents } from '../../agent/fleet/cycle-phase.ts';
import type { LeaseRow } from '../../agent/fleet/lease-plan.ts';

const lease = (cluster: string, holder: string, expiresMs: number, releasedMs: number | null = null): LeaseRow => ({ cluster, holder, acquiredMs: 0, renewedMs: 0, expiresMs, releasedMs });

describe('cyclePhaseMs', () => {
  it('alone an agent fires on the clock\'s boundaries', () => expect(cyclePhaseMs('a', ['a'], 30_000)).toBe(0));

  it('five agents at 30 s take five different slots 6 s apart, each within the interval', () => {
    const ids = ['agent-1', 'agent-2', 'agent-3', 'agent-4', 'agent-5'];
    const phases = ids.map((id) => cyclePhaseMs(id, ids, 30_000));
    expect(phases).toEqual([0, 6000, 12_000, 18_000, 24_000]);
  });

  it('two agents with different ids get different phases, whatever order each sees the other in', () => {
    const a = cyclePhaseMs('zeta', ['alpha', 'zeta'], 60_000);
    const b = cyclePhaseMs('alpha', ['zeta'], 60_000); // not yet among the leases it read: counted anyway
    expect(a).not.toBe(b);
    for (const p of [a, b]) expect(p >= 0 && p < 60_000).toBe(true);
  });

  it.each([1, 2, 3, 7, 50])('with %i agents every phase is in [0, interval)', (n) => {
    const ids = Array.from({ length: n }, (_, i) => `x${i}`);
    const phases = ids.map((id) => cyclePhaseMs(id, ids, 10_000));
    expect(new Set(phases).size).toBe(n);
    for (const p of phases) expect(p >= 0 && p < 10_000).toBe(true);
  });
});

describe('cyclePhaseMs with a site holder', () => {
  const ids = ['agent-1', 'agent-2', 'agent-3', 'agent-4', 'agent-5'];

  it('the site holder fires last, half an interval in; the four others share the first half in id order', () => {
    expect(ids.map((id) => cyclePhaseMs(id, ids, 30_000, 'agent-1'))).toEqual([15_000, 0, 3750, 7500, 11_250]);
    expect(ids.map((id) => cyclePhaseMs(id, ids, 30_000, 'agent-3'))).toEqual([0, 3750, 15_000, 7500, 11_250]);
  });

  it('two agents for failover: the other at the boundary, the holder half an interval later', () => {
    expect(cyclePhaseMs('mon-b', ['mon-a', 'mon-b'], 60_000, 'mon-a')).toBe(0);
    expect(cyclePhaseMs('mon-a', ['mon-a', 'mon-b'], 60_000, 'mon-a')).toBe(30_000);
  });

  it('alone the holder fires on the boundaries; a holder not among the live agents changes nothing', () => {
    expect(cyclePhaseMs('a', ['a'], 30_000, 'a')).toBe(0);
    expect(ids.map((id) => cyclePhaseMs(id, ids, 30_000, 'gone'))).toEqual([0, 6000, 12_000, 18_000, 24_000]);
  });

  it.each([2, 3, 7, 50])('with %i agents every phase is distinct, in [0, interval), the holder\'s the latest', (n) => {
    const ag = Array.from({ length: n }, (_, i) => `x${i}`);
    const phases = ag.map((id) => cyclePhaseMs(id, ag, 10_000, 'x1'));
    expect(new Set(phases).size).toBe(n);
    for (const p of phases) expect(p >= 0 && p < 10_000).toBe(true);
    expect(Math.max(...phases)).toBe(phases[1]);
  });
});

describe('leaseHolder', () => {
  it('is the holder of the unexpired, unreleased lease, else none', () => {
    expect(leaseHolder('*site', [lease('*site', 'b', 2000)], 1000)).toBe('b');
    expect(leaseHolder('*site', [lease('*site', 'b', 999)], 1000)).toBeUndefined();
    expect(leaseHolder('*site', [lease('*site', 'b', 2000, 900)], 1000)).toBeUndefined();
    expect(leaseHolder('*site', [lease('c1', 'b', 2000)], 1000)).toBeUndefined();
  });
});

describe('liveAgents', () => {
  it('counts holders of unexpired, unreleased leases and this agent, once each, in id order', () => {
    const leases = [lease('c1', 'b', 2000), lease('c2', 'b', 2000), lease('c3', 'dead', 999), lease('c4', 'gone', 5000, 900), lease('*site', 'c', 1500)];
    expect(liveAgents('me', leases, 1000)).toEqual(['b', 'c', 'me']);
  });
});
