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

  it('uses as many parts as html and day have turns (a multiple of both, at most 12)', () => {
    expect(partsFor(DEFAULT_PERIODS, 60)).toBe(6);
    expect(partsFor({ ...DEFAULT_PERIODS, htmlSeconds: 7200 }, 60)).toBe(12);
    expect(partsFor({ ...DEFAULT_PERIODS, htmlSeconds: 600, daySeconds: 600 }, 60)).toBe(1);
  });

  it('refreshes the same number of parts every cycle (1,000 guests: 10 buckets)', () => {
    // The builder's positions: index = bucket * P + part, count = buckets * P.
    const P = partsFor(DEFAULT_PERIODS, 60);
    for (const buckets of [10, 20, 50]) {
      const count = buckets * P;
      const perCycle = { raw: new Set<number>(), html: new Set<number>(), day: new Set<number>() };
      for (let slot = 1_000_000; slot < 1_000_000 + 60; slot++) {
        const n = { raw: 0, html: 0, day: 0 };
        for (let index = 0; index < count; index++) {
          const d = dueFor({ ...base, nowSec: slot * 60, index, count, last: fresh(slot * 60 - 60) });
          for (const k of ['raw', 'html', 'day'] as const) if (d[k]) n[k]++;
        }
        for (const k of ['raw', 'html', 'day'] as const) perCycle[k].add(n[k]);
      }
      expect([...perCycle.raw], `raw, ${buckets} buckets`).toEqual([count / 10]);
      expect([...perCycle.html], `html, ${buckets} buckets`).toEqual([buckets / 10]);
      expect([...perCycle.day], `day, ${buckets} buckets`).toEqual([buckets / 10]);
    }
  });

  it('turns all parts of a bucket in the same cycle, still refreshing the same number of parts every cycle (#13)', () => {
    // The builder's turn positions: the bucket's place in the fleet (one new tree per bucket turn).
    const P = partsFor(DEFAULT_PERIODS, 60);
    for (const buckets of [10, 20, 100]) {
      const perCycle = { raw: new Set<number>(), html: new Set<number>(), day: new Set<number>() };
      for (let slot = 1_000_000; slot < 1_000_000 + 60; slot++) {
        const n = { raw: 0, html: 0, day: 0 };
        for (let b = 0; b < buckets; b++) {
          const parts = Array.from({ length: P }, (_, p) => dueFor({ ...base, nowSec: slot * 60, index: b * P + p, count: buckets * P, turn: { index: b, count: buckets }, last: fresh(slot * 60 - 60) }));
          expect(new Set(parts.map((d) => d.raw)).size, `bucket ${b}: all parts or none`).toBe(1);
          for (const d of parts) for (const k of ['raw', 'html', 'day'] as const) if (d[k]) n[k]++;
          if (parts[0]!.raw) expect(parts.filter((d) => d.html)).toHaveLength(1);
        }
        for (const k of ['raw', 'html', 'day'] as const) perCycle[k].add(n[k]);
      }
      expect([...perCycle.raw], `raw, ${buckets} buckets`).toEqual([(buckets * P) / 10]);
      expect([...perCycle.html], `html, ${buckets} buckets`).toEqual([buckets / 10]);
      expect([...perCycle.day], `day, ${buckets} buckets`).toEqual([buckets / 10]);
    }
  });
});
