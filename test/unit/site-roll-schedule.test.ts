import { describe, expect, it } from 'vitest';
import { DEFAULT_PERIODS, dueFor, partsFor } from '../../agent/site/roll-schedule.ts';

const base = { intervalSeconds: 60, periods: DEFAULT_PERIODS, changed: false };
const fresh = (t: number) => ({ raw: t, html: t, day: t, long: t });

describe('staggered refresh schedule', () => {
  it('refreshes everything the first time', () => {
    expect(dueFor({ ...base, nowSec: 6000, index: 3, count: 10, last: undefined })).toEqual({ raw: true, html: true, day: true, long: true });
  });

  it('gives each position one raw turn per raw period, spread over the cycles', () => {
    const turns = new Map<number, number>();
    for (let slot = 1000; slot < 1010; slot++) {
      let n = 0;
      for (let index = 0; index < 40; index++) if (dueFor({ ...base, nowSec: slot * 60, index, count: 40, last: fresh(slot * 60 - 60) }).raw) n++;
      turns.set(slot, n);
    }
    expect([...turns.values()]).toEqual(Array(10).fill(4));
  });

  it('puts html on every 6th raw turn and never on the same turn as day', () => {
    let html = 0;
    for (let slot = 0; slot < 60; slot++) {
      const d = dueFor({ ...base, nowSec: 1_000_000 * 60 + slot * 60, index: 7, count: 40, last: fresh(1_000_000 * 60 + slot * 60 - 60) });
      if (d.html) html++;
      expect(d.html && d.day).toBe(false);
      if (d.html || d.day) expect(d.raw).toBe(true);
    }
    expect(html).toBe(1);
  });

  it('refreshes an overdue part even off its turn (a skipped cycle must not starve it)', () => {
    const nowSec = 1_000_003 * 60;
    const d = dueFor({ ...base, nowSec, index: 0, count: 1, last: { raw: nowSec - 3 * 600, html: nowSec, day: nowSec, long: nowSec } });
    expect(d.raw).toBe(true);
  });

  it('forces raw and html when the inventory changed', () => {
    const nowSec = 1_000_003 * 60;
    expect(dueFor({ ...base, nowSec, index: 0, count: 1, last: fresh(nowSec - 60), changed: true })).toMatchObject({ raw: true, html: true });
  });

  it('splits small fleets into parts and leaves big ones whole', () => {
    expect(partsFor(1)).toBe(8);
    expect(partsFor(10)).toBe(8);
    expect(partsFor(20)).toBe(4);
    expect(partsFor(50)).toBe(1);
    expect(partsFor(100)).toBe(1);
  });
});
