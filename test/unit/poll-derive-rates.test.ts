import { describe, expect, it } from 'vitest';
import { deriveRates, type RateState } from '../../agent/poll/derive-rates.ts';
import type { GuestState } from '../../agent/poll/cluster-snapshot.ts';

function guest(over: Partial<GuestState> & { netin?: number | null; diskwrite?: number | null } = {}): GuestState {
  const { netin = 1000, diskwrite = 5000, ...rest } = over;
  return {
    vmid: 100, type: 'qemu', node: 'n1', name: 'g', status: 'running', template: false, tags: [], pool: null, lock: null, hastate: null,
    uptime: 100, cpu: 0.1, maxcpu: 1, mem: 1, maxmem: 2, memhost: null, disk: null, maxdisk: 3,
    counters: { netin, netout: 2000, diskread: 3000, diskwrite },
    netinBps: null, netoutBps: null, diskreadBps: null, diskwriteBps: null,
    ...rest,
  };
}

function step(state: RateState, ts: number, g: GuestState) {
  return deriveRates('c', ts, [g], state);
}

describe('deriveRates', () => {
  it('first sample → null; next → bytes/s', () => {
    const a = step(new Map(), 1000, guest());
    expect(a.guests[0]!.netinBps).toBeNull();
    const b = step(a.state, 1010, guest({ uptime: 110, netin: 2000, diskwrite: 5500 }));
    expect(b.guests[0]).toMatchObject({ netinBps: 100, netoutBps: 0, diskreadBps: 0, diskwriteBps: 50 });
  });
  it('a counter that went down (restart) → null for that sample, then rates resume', () => {
    const a = step(new Map(), 1000, guest({ netin: 5000 }));
    const b = step(a.state, 1010, guest({ uptime: 110, netin: 100 }));
    expect(b.guests[0]).toMatchObject({ netinBps: null, diskwriteBps: null });
    const c = step(b.state, 1020, guest({ uptime: 120, netin: 300 }));
    expect(c.guests[0]!.netinBps).toBe(20);
  });
  it('uptime that went down → null even when counters grew', () => {
    const a = step(new Map(), 1000, guest());
    expect(step(a.state, 1010, guest({ uptime: 5, netin: 9000 })).guests[0]!.netinBps).toBeNull();
  });
  it('migration (node changed) → null', () => {
    const a = step(new Map(), 1000, guest());
    expect(step(a.state, 1010, guest({ node: 'n2', uptime: 110, netin: 9000 })).guests[0]!.netinBps).toBeNull();
  });
  it('no time passed → null; missing counter → null for that one only', () => {
    const a = step(new Map(), 1000, guest());
    expect(step(a.state, 1000, guest({ uptime: 110, netin: 9000 })).guests[0]!.netinBps).toBeNull();
    const b = step(a.state, 1010, guest({ uptime: 110, netin: null, diskwrite: 6000 }));
    expect(b.guests[0]).toMatchObject({ netinBps: null, diskwriteBps: 100 });
  });
  it('stopped guests leave the state (a restart later starts fresh)', () => {
    const a = step(new Map(), 1000, guest());
    const b = step(a.state, 1010, guest({ status: 'stopped', uptime: 0 }));
    expect(b.state.size).toBe(0);
    expect(step(b.state, 1020, guest({ uptime: 5, netin: 1500 })).guests[0]!.netinBps).toBeNull();
  });
  it('keys by cluster: the same vmid in two clusters does not mix', () => {
    const a = deriveRates('c1', 1000, [guest()], new Map());
    const b = deriveRates('c2', 1010, [guest({ netin: 2000 })], a.state);
    expect(b.guests[0]!.netinBps).toBeNull();
  });
});
