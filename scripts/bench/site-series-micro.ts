// Micro-measurement (not part of `npm run bench`): the full build's guest tier reads (day chunks
// and long files, per bucket part) on an existing synthetic database, timed per kind. Run under
// the unit's flags, e.g.
//   node --max-semi-space-size=2 --heap-growing-percent=20 --import tsx scripts/bench/site-series-micro.ts <dir>/pmi.sqlite <now> [repeats]
// Env: MMAP=<bytes> (PRAGMA mmap_size), CACHE_KIB=<KiB> (page cache).
import { openDatabase } from '../../agent/store/open-database.ts';
import { queryGuestTierSeries } from '../../agent/store/site-series.repository.ts';
import { tierQuery } from '../../agent/site/roll-schedule.ts';
import { bucketOf } from '../../agent/site/site-paths.ts';

const [file, nowArg, repeatsArg = '1'] = process.argv.slice(2);
const now = Number(nowArg);
const store = await openDatabase(file!, { migrate: false, ...(process.env.CACHE_KIB && { cacheKiB: Number(process.env.CACHE_KIB) }) });
if (process.env.MMAP) store.sqlite.pragma(`mmap_size = ${Number(process.env.MMAP)}`);
const guests = store.sqlite.prepare('SELECT cluster_id, vmid FROM guests WHERE removed_at IS NULL ORDER BY cluster_id, vmid').all() as Array<{ cluster_id: number; vmid: number }>;
const buckets = new Map<string, { c: number; lo: number; hi: number }>();
for (const g of guests) {
  const k = `${g.cluster_id}/${bucketOf(g.vmid)}`;
  const b = buckets.get(k);
  if (b) b.hi = g.vmid;
  else buckets.set(k, { c: g.cluster_id, lo: g.vmid, hi: g.vmid });
}
const P = 6;
for (let rep = 0; rep < Number(repeatsArg); rep++) {
  const ms: Record<string, number> = {};
  let chars = 0;
  for (const src of ['day', 'long.w', 'long.m', 'long.y'] as const) {
    const t = performance.now();
    for (const b of buckets.values()) {
      for (let p = 0; p < P; p++) {
        for (const e of await queryGuestTierSeries(store.db, b.c, b.lo, b.hi, tierQuery(src, now), { parts: P, due: [p] })) chars += e.i.length;
      }
    }
    ms[src] = Math.round(performance.now() - t);
  }
  console.log(JSON.stringify({ ms, chars, mmap: process.env.MMAP ?? 0, cacheKiB: process.env.CACHE_KIB ?? 'default' }));
}
await store.close();
