// Profiles the scale benchmark's series reads (issue 17 item 5, series-guest.ts) without agents: a
// throw-away PostgreSQL with a few thousand guests, the same rows for the measured guests as the
// benchmark inserts, and each read's client wall and CPU time beside each query's planning and
// execution time in the server (EXPLAIN ANALYZE, timing off). A few seconds; no lock needed.
// Run: npx tsx scripts/bench/pg-series-profile.ts [clusters=20] [guestsPerCluster=200]
import { loadavg } from 'node:os';
import { Kysely } from 'kysely';
import { createPgDialect } from '../../agent/store/pg-dialect.ts';
import type { Database } from '../../agent/store/schema.ts';
import { startThrowawayPgStore } from './pg-throwaway-store.ts';
import { writeSnapshot } from '../../agent/store/snapshot.repository.ts';
import { tierQuery } from '../../agent/site/roll-schedule.ts';
import { queryGuestTierSeries } from '../../agent/store/site-series.repository.ts';
import { syntheticSnapshot } from './store-synthetic.ts';
import { ALL_SOURCES, CHART_30D, insertMonthGuest, insertSeriesGuest, readMonth, readSources, type GuestKey } from './series-guest.ts';
import { median, wallCpuMedian } from './wall-cpu.ts';

const [clusters = 20, perCluster = 200] = process.argv.slice(2).map(Number);
const RUNS = 9;
const { server, store } = await startThrowawayPgStore('series');
try {
  const db = store.db;
  const nowSec = Math.floor(Date.now() / 1000);
  for (let c = 0; c < clusters; c++) await writeSnapshot(db, syntheticSnapshot({ cluster: `c${String(c + 1).padStart(3, '0')}`, ts: nowSec - 60, guests: perCluster, nodes: 4 }));
  const [g, h] = (await store.pool.query('select cluster_id, vmid from guests order by cluster_id, vmid limit 2')).rows as [GuestKey, GuestKey];
  for (const e of await insertSeriesGuest(store.pool, h, nowSec)) console.log(e);
  await insertMonthGuest(store.pool, g, nowSec);
  console.log(`${clusters * perCluster} guests; load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  const time = async (label: string, fn: () => Promise<number>) => {
    const r = await wallCpuMedian(fn, RUNS);
    console.log(`${label.padEnd(58)} ${r.wallMs.toFixed(1).padStart(6)} ms wall ${r.cpuMs.toFixed(1).padStart(5)} ms client CPU  ${r.n} points`);
  };
  await time('guestSeriesQueryMs: 30-day chart (long.m + day)', () => readSources(db, h, CHART_30D, nowSec));
  await time('guestSeriesAllSourcesMs: day + long.w + long.m + long.y', () => readSources(db, h, ALL_SOURCES, nowSec));
  await time('guestSeriesFiveMinuteMonthMs: 30 d of 5 min, step 300', () => readMonth(db, g, nowSec));
  // each source's statement in the server: the SQL as the store sends it (kysely's query log), then EXPLAINed
  const compiled: Array<{ sql: string; parameters: readonly unknown[] }> = [];
  const logged = new Kysely<Database>({ dialect: createPgDialect(store.pool), log: (e) => void (e.level === 'query' && compiled.push(e.query)) });
  for (const src of ALL_SOURCES) {
    const q = tierQuery(src, nowSec);
    compiled.length = 0;
    await queryGuestTierSeries(logged, h.cluster_id, h.vmid, h.vmid, q);
    const plans: Array<[number, number]> = [];
    for (let r = 0; r < 5; r++) {
      const out = await store.pool.query(`explain (analyze, timing off, format json) ${compiled[0]!.sql}`, [...compiled[0]!.parameters]);
      const p = (out.rows[0] as { 'QUERY PLAN': Array<{ 'Planning Time': number; 'Execution Time': number }> })['QUERY PLAN'][0]!;
      plans.push([p['Planning Time'], p['Execution Time']]);
    }
    console.log(`  ${src.padEnd(7)} ${q.tier} tier, ${Math.round((nowSec - q.from) / 86_400)} d back in ${q.group} s points: planning ${median(plans.map((x) => x[0])).toFixed(2)} ms, execution ${median(plans.map((x) => x[1])).toFixed(2)} ms in the server`);
  }
} finally {
  await store.close();
  await server.stop();
}
