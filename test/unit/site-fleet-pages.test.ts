// Pages without live values are re-rendered only when what they show changed: at 10,000 guests a
// cluster page has 5,000 rows, and rebuilding it every cycle for values it does not show cost
// ~170 ms per cycle.
import { afterEach, describe, expect, it } from 'vitest';
import { collectSiteData } from '../../agent/site/collect-site-data.ts';
import { KEEP, type Entry } from '../../agent/site/publish.ts';
import { createRecentCache } from '../../agent/site/recent-cache.ts';
import { renderFleetPages } from '../../agent/site/render-fleet-pages.ts';
import { createRenderer } from '../../agent/site/render.ts';
import { loadAssets } from '../../agent/site/site-assets.ts';
import { makeSynthetic, type Synthetic } from '../../scripts/bench/site.bench.ts';

let syn: Synthetic | undefined;
afterEach(async () => {
  await syn?.dispose();
  syn = undefined;
});

describe('fleet pages', () => {
  it('keeps cluster pages when only live values changed, and re-renders them when a guest changed', async () => {
    syn = await makeSynthetic(60);
    const cache = createRecentCache();
    const render = createRenderer();
    const assets = loadAssets().names;
    const digests = new Map<string, string>();
    const cycle = async (now: number) => {
      const d = await collectSiteData(syn!.store.db, cache, now, { nearFullRatio: 0.9 });
      const out = new Map<string, Entry>();
      await renderFleetPages(d, { siteTitle: 'PMI', generatedAt: now, pollIntervalSeconds: 60, staleAfterIntervals: 3, assets }, render, (p, c) => out.set(p, c), {
        nodeDue: () => true,
        pageDue: (p, digest) => {
          const due = digests.get(p) !== digest;
          digests.set(p, digest);
          return due;
        },
      });
      return out;
    };
    const first = await cycle(syn.now);
    expect(String(first.get('clusters/bench1.html'))).toMatch(/(vm|ct)-101/);
    // A cycle later every running guest and node has new values: the overview changes, the cluster page does not.
    syn.cycle(syn.now + 60);
    const second = await cycle(syn.now + 60);
    expect(second.get('index.html')).not.toBe(first.get('index.html'));
    expect(second.get('clusters/bench1.html')).toBe(KEEP);
    syn.store.sqlite.prepare("UPDATE guests SET name = 'renamed', changed_at = ? WHERE vmid = 101").run(syn.now + 120);
    syn.cycle(syn.now + 120);
    const third = await cycle(syn.now + 120);
    expect(String(third.get('clusters/bench1.html'))).toContain('renamed');
  });
});
