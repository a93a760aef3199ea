// Profiling aid (not part of `npm run bench`): the store's ingest cycle (writeSnapshot + maintenance
// at 10,000 guests, scripts/bench/store.bench.ts) with SQLite page caches of different sizes,
// alternating, to see what a smaller cache_size costs. Usage: tsx scripts/bench/cache-size-micro.ts 65536 16384
import { measureIngest } from './store.bench.ts';

const sizes = process.argv.slice(2).map(Number);
for (let round = 0; round < 2; round++) {
  for (const cacheKiB of sizes) {
    const r = await measureIngest(10_000, 8, { cacheKiB });
    console.log(`cache ${cacheKiB} KiB: ingest median ${r.median.toFixed(0)} ms, p90 ${r.p90.toFixed(0)} ms, CPU median ${r.cpuMedian.toFixed(0)} ms`);
  }
}
