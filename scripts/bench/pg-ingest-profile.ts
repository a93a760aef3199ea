// Profiles the PostgreSQL store at the scale benchmark's size without agents (issue 17 item 5):
// 250 clusters × 200 guests written for a few cycles, then one agent's share (50 clusters) timed
// statement by statement, and EXPLAIN ANALYZE of the fleet overview and a guest's 30-day series.
// Run: npx tsx scripts/bench/pg-ingest-profile.ts [clusters=250] [guestsPerCluster=200] [cycles=4]
import { Kysely } from 'kysely';
import { startThrowawayPgStore } from './pg-throwaway-store.ts';
import { createPgDialect } from '../../agent/store/pg-dialect.ts';
import { writeSnapshot, writePollRun } from '../../agent/store/snapshot.repository.ts';
import type { Database } from '../../agent/store/schema.ts';
import { syntheticSnapshot } from './store-synthetic.ts';

const [clusters = 250, perCluster = 200, cycles = 4] = process.argv.slice(2).map(Number);
const { server, store } = await startThrowawayPgStore('prof');
try {
  const times = new Map<string, { n: number; ms: number }>();
  let logging = false;
  let lastCycleSql: { sql: string; parameters: readonly unknown[] } | undefined;
  const db = new Kysely<Database>({
    dialect: createPgDialect(store.pool),
    log: (e) => {
      if (!logging) return;
      if (e.query.sql.startsWith('with c as ( update clusters') || e.query.sql.startsWith('with c as (\n      update clusters')) lastCycleSql = { sql: e.query.sql, parameters: e.query.parameters };
      const key = e.query.sql.replace(/\s+/g, ' ').slice(0, 90);
      const t = times.get(key) ?? { n: 0, ms: 0 };
      t.n++;
      t.ms += e.queryDurationMillis;
      times.set(key, t);
    },
  });
  const names = Array.from({ length: clusters }, (_, i) => `c${String(i + 1).padStart(3, '0')}`);
  const t0 = Math.floor(Date.now() / 1000) - cycles * 30;
  const agentShare = names.slice(0, 50);
  let shareWall = 0;
  let shareCpu = { user: 0, system: 0 };
  for (let c = 0; c < cycles; c++) {
    const ts = t0 + c * 30;
    const last = c === cycles - 1;
    const s = performance.now();
    for (const name of names) {
      if (last && name === agentShare[0]) {
        shareWall = performance.now();
        shareCpu = process.cpuUsage();
      }
      if (last && name === names[agentShare.length]) {
        shareWall = performance.now() - shareWall;
        shareCpu = process.cpuUsage(shareCpu);
      }
      if (last && agentShare.includes(name)) logging = true;
      const snap = syntheticSnapshot({ cluster: name, ts, guests: perCluster, nodes: 4 });
      // as the agent's store stage does it: the poll run in the cycle's statement where it can be
      const run = { cluster: name, durationMs: 100, requests: 6, errors: 0, endpoint: 'x', ok: true };
      if (!(await writeSnapshot(db, snap, { record: run, startedAt: ts }))) await writePollRun(db, run, ts);
      logging = false;
    }
    console.log(`cycle ${c}: ${clusters} clusters in ${Math.round(performance.now() - s)} ms`);
  }
  // the timed share: the last cycle of the first 50 clusters
  const total = [...times.values()].reduce((a, b) => a + b.ms, 0);
  console.log(`\nlast cycle, ${agentShare.length} clusters × ${perCluster} guests: ${Math.round(total)} ms in statements; ${Math.round(shareWall)} ms wall, this process's CPU ${Math.round((shareCpu.user + shareCpu.system) / 1000)} ms (snapshots synthesized in the loop included)`);
  for (const [k, v] of [...times].sort((a, b) => b[1].ms - a[1].ms)) console.log(`${v.ms.toFixed(1).padStart(8)} ms ${String(v.n).padStart(5)}× ${k}`);
  if (lastCycleSql) {
    // the last cluster's cycle statement again (guard reset, samples already there), planned and run, rolled back
    const c = await store.pool.connect();
    try {
      await c.query('begin');
      const ts = t0 + (cycles - 1) * 30;
      await c.query('update clusters set last_sample_ts = $1 where name = $2', [ts - 30, agentShare.at(-1)]);
      const r = await c.query(`explain (analyze, buffers, summary) ${lastCycleSql.sql}`, lastCycleSql.parameters as unknown[]);
      console.log(`\n== one cluster's cycle statement\n${r.rows.map((x: Record<string, string>) => x['QUERY PLAN']).join('\n')}`);
      await c.query('rollback');
    } finally {
      c.release();
    }
  }
  const one = async (text: string, params: unknown[] = []) => {
    const r = await store.pool.query(`explain (analyze, buffers) ${text}`, params);
    console.log(`\n== ${text}\n${r.rows.map((x: Record<string, string>) => x['QUERY PLAN']).join('\n')}`);
  };
  const g = (await store.pool.query('select cluster_id, vmid from guests order by cluster_id, vmid limit 1')).rows[0] as { cluster_id: number; vmid: number };
  const now = Math.floor(Date.now() / 1000);
  const from = now - 30 * 86_400;
  await store.pool.query(`insert into guest_samples_5m (cluster_id, vmid, ts, samples, cpu_avg, cpu_max, mem_avg, mem_max)
    select $1, $2, t, 5, 0.2, 0.4, 1e9, 2e9 from generate_series($3::bigint, $4::bigint, 300) as t on conflict do nothing`, [g.cluster_id, g.vmid, Math.floor(from / 300) * 300, now - 3600]);
  if (process.env.FILL_5M) {
    // every guest's 30 days (realistic tier size); slow
    await store.pool.query(`insert into guest_samples_5m (cluster_id, vmid, ts, samples, cpu_avg, cpu_max, mem_avg, mem_max)
      select g.cluster_id, g.vmid, t, 5, 0.2, 0.4, 1e9, 2e9 from guests g, generate_series($1::bigint, $2::bigint, 300) as t on conflict do nothing`, [Math.floor(from / 300) * 300, now - 3600]);
  }
  await store.pool.query('analyze');
  await one('select * from v_guest_latest');
  for (let k = 0; k < 3; k++) {
    const s = performance.now();
    await store.pool.query('select * from v_guest_latest');
    console.log(`overview ${(performance.now() - s).toFixed(1)} ms`);
  }
  await one('select ts, cpu_avg, cpu_max, mem_avg, mem_max from guest_samples_5m where cluster_id = $1 and vmid = $2 and ts >= $3 order by ts', [g.cluster_id, g.vmid, from]);
  for (let k = 0; k < 3; k++) {
    const s = performance.now();
    await store.pool.query('select ts, cpu_avg, cpu_max, mem_avg, mem_max from guest_samples_5m where cluster_id = $1 and vmid = $2 and ts >= $3 order by ts', [g.cluster_id, g.vmid, from]);
    console.log(`series ${(performance.now() - s).toFixed(1)} ms`);
  }
  await db.destroy();
} finally {
  await server.stop();
}
