// The PostgreSQL fleet overview read and the site's guest list as their callers see them, without
// agents: 250 clusters × 200 guests written once, then readFleetOverview and queryGuests each
// called RUNS times; per call the wall time, this process's CPU time and the garbage collector's
// pauses. Uses only the store's public reads, so the same file runs on an older tree for an A/B.
// Run: npx tsx scripts/bench/fleet-overview-read.ts [clusters=250] [guestsPerCluster=200] [runs=40]
import { PerformanceObserver } from 'node:perf_hooks';
import { loadavg } from 'node:os';
import { Kysely } from 'kysely';
import { startThrowawayPgStore } from './pg-throwaway-store.ts';
import { createPgDialect } from '../../agent/store/pg-dialect.ts';
import { writeSnapshot, writePollRun } from '../../agent/store/snapshot.repository.ts';
import type { Database } from '../../agent/store/schema.ts';
import { readFleetOverview } from '../../agent/store/fleet-overview.repository.ts';
import { queryGuests } from '../../agent/store/site-inventory.repository.ts';
import { syntheticSnapshot } from './store-synthetic.ts';

const [clusters = 250, perCluster = 200, runs = 40] = process.argv.slice(2).map(Number);
const { server, store } = await startThrowawayPgStore('ovread');
try {
  const db = new Kysely<Database>({ dialect: createPgDialect(store.pool) });
  const t0 = Math.floor(Date.now() / 1000) - 60;
  for (let c = 0; c < clusters; c++) {
    const name = `c${String(c + 1).padStart(3, '0')}`;
    await writeSnapshot(db, syntheticSnapshot({ cluster: name, ts: t0, guests: perCluster, nodes: 4 }));
    await writePollRun(db, { cluster: name, durationMs: 100, requests: 6, errors: 0, endpoint: 'x', ok: true }, t0);
  }
  let gcMs = 0;
  const gc = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) gcMs += e.duration;
  });
  gc.observe({ entryTypes: ['gc'] });
  const settle = () => new Promise((r) => setTimeout(r, 50));
  const time = async (label: string, read: () => Promise<unknown[]>) => {
    for (let k = 0; k < 3; k++) await read();
    await settle();
    gcMs = 0;
    const load = loadavg().map((x) => x.toFixed(2)).join(' ');
    const c0 = process.cpuUsage();
    const s = performance.now();
    let n = 0;
    for (let k = 0; k < runs; k++) n = (await read()).length;
    const wall = (performance.now() - s) / runs;
    const c = process.cpuUsage(c0);
    await settle();
    console.log(`${label.padEnd(20)} ${n} rows: ${wall.toFixed(1)} ms wall, ${((c.user + c.system) / 1000 / runs).toFixed(1)} ms CPU, ${(gcMs / runs).toFixed(1)} ms GC per call (load ${load})`);
  };
  await time('readFleetOverview', () => readFleetOverview(db));
  await time('queryGuests', () => queryGuests(db));
  gc.disconnect();
  await db.destroy();
} finally {
  await server.stop();
}
