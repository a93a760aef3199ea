// The full build's series reader (agent/store/site-series-reader.ts) on a real SQLite file: reads
// named ahead and taken by the store's reader thread, reads named but done on the caller's
// connection first, and reads never named all answer exactly what the caller's connection reads.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSeriesReader } from '../../agent/store/site-series-reader.ts';
import { queryGuestTierSeries, type GuestSeriesRead } from '../../agent/store/site-series.repository.ts';
import { makeSynthetic, type Synthetic } from '../../scripts/bench/site.bench.ts';

let syn: Synthetic;
beforeAll(async () => {
  syn = await makeSynthetic(150);
});
afterAll(async () => {
  await syn.dispose();
});

const reads = (): GuestSeriesRead[] => {
  const day = { tier: '5m' as const, from: Math.floor((syn.now - 86_400) / 300) * 300, group: 300 };
  const week = { tier: '1h' as const, from: Math.floor((syn.now - 7 * 86_400) / 3600) * 3600, group: 3600 };
  const out: GuestSeriesRead[] = [];
  for (const lo of [100, 200]) {
    out.push({ clusterId: 1, lo, hi: lo + 99, q: week, part: undefined });
    for (let p = 0; p < 3; p++) out.push({ clusterId: 1, lo, hi: lo + 99, q: day, part: { parts: 3, due: [p] } });
  }
  return out;
};

describe('series reader', () => {
  it('answers every read as the caller\'s connection does, whoever did it', async () => {
    const want = await Promise.all(reads().map((r) => queryGuestTierSeries(syn.store.db, r.clusterId, r.lo, r.hi, r.q, r.part)));
    expect(want.flat().length).toBeGreaterThan(100);
    const reader = openSeriesReader(syn.store.db, true);
    try {
      reader.ahead(reads().slice(0, 6)); // the last two never named: read on the caller's connection
      const got = [];
      // Asked for at once (the thread may not have taken the later ones) and one by one.
      got.push(...(await Promise.all(reads().slice(0, 4).map((r) => reader.read(r)))));
      for (const r of reads().slice(4)) got.push(await reader.read(r));
      expect(got).toEqual(want);
    } finally {
      await reader.close();
    }
  });

  it('reads on the caller\'s connection without a thread', async () => {
    const reader = openSeriesReader(syn.store.db, false);
    const r = reads()[1]!;
    reader.ahead([r]);
    expect(await reader.read(r)).toEqual(await queryGuestTierSeries(syn.store.db, r.clusterId, r.lo, r.hi, r.q, r.part));
    await reader.close();
  });
});
