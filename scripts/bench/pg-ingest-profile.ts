// Profiles the PostgreSQL store at the scale benchmark's size without agents (issue 17 item 5):
// 250 clusters × 200 guests written for a few cycles, then one agent's share (50 clusters) timed
// statement by statement — the client's part (building the statement and its parameters, in this
// process) apart from the round trip, and the server's execution of each statement
// (pg_stat_statements: time, rows, buffers dirtied, WAL) — then EXPLAIN ANALYZE of one cluster's
// cycle statement, the fleet overview and a guest's 30-day series.
// Run: npx tsx scripts/bench/pg-ingest-profile.ts [clusters=250] [guestsPerCluster=200] [cycles=4]
// PROFILE_CONCURRENCY (default 3, the agent's poolSize - 1): clusters of the timed share written at once.
import { Kysely, PostgresDialect } from 'kysely';
import type pg from 'pg';
// node-postgres's own parameter conversion (what every query runs), for the client's share
import { createRequire } from 'node:module';
const pgUtils = createRequire(import.meta.url)('pg/lib/utils.js') as { prepareValue(v: unknown): unknown };
import { startThrowawayPgStore } from './pg-throwaway-store.ts';
import { createPgDialect } from '../../agent/store/pg-dialect.ts';
import { planGuests, writeSnapshot, writePollRun } from '../../agent/store/snapshot.repository.ts';
import { writeCycleStatement } from '../../agent/store/pg-snapshot-writer.ts';
import { mapPool } from '../../agent/poll/promise-pool.ts';
import type { Database } from '../../agent/store/schema.ts';
import { syntheticSnapshot } from './store-synthetic.ts';
import type { ClusterSnapshot } from '../../agent/poll/cluster-snapshot.ts';
import { Session } from 'node:inspector/promises';

/** V8's CPU profiler over a stretch of this process; stop() returns the top functions by self time. */
async function startCpuProfile(): Promise<{ stop(): Promise<string> }> {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 100 });
  await session.post('Profiler.start');
  return {
    async stop() {
      const { profile } = await session.post('Profiler.stop');
      session.disconnect();
      const dt = new Map<number, number>();
      profile.samples!.forEach((id, i) => dt.set(id, (dt.get(id) ?? 0) + (profile.timeDeltas![i] ?? 0)));
      const self = new Map<string, number>();
      for (const n of profile.nodes) {
        const f = n.callFrame;
        const key = `${f.functionName || '(anonymous)'} ${f.url.split('/').slice(-2).join('/')}:${f.lineNumber + 1}`;
        self.set(key, (self.get(key) ?? 0) + (dt.get(n.id) ?? 0));
      }
      return [...self].sort((a, b) => b[1] - a[1]).slice(0, 25).map(([k, us]) => `${(us / 1000).toFixed(1).padStart(8)} ms  ${k}`).join('\n');
    },
  };
}

const [clusters = 250, perCluster = 200, cycles = 4] = process.argv.slice(2).map(Number);
const concurrency = Number(process.env.PROFILE_CONCURRENCY ?? 3);
const { server, store } = await startThrowawayPgStore('prof', { shared_preload_libraries: 'pg_stat_statements', 'pg_stat_statements.track': 'all', 'pg_stat_statements.track_planning': 'on' });
try {
  await store.pool.query('create extension if not exists pg_stat_statements');
  const times = new Map<string, { n: number; ms: number }>();
  let logging = false;
  let lastCycleSql: { sql: string; parameters: readonly unknown[] } | undefined;
  let roundTripMs = 0;
  const db = new Kysely<Database>({
    dialect: createPgDialect(store.pool),
    log: (e) => {
      if (!logging) return;
      if (e.query.sql.includes('with c as (\n      update clusters')) lastCycleSql = { sql: e.query.sql, parameters: e.query.parameters };
      const key = e.query.sql.replace(/\s+/g, ' ').slice(0, 90);
      const t = times.get(key) ?? { n: 0, ms: 0 };
      t.n++;
      t.ms += e.queryDurationMillis;
      roundTripMs += e.queryDurationMillis;
      times.set(key, t);
    },
  });
  const names = Array.from({ length: clusters }, (_, i) => `c${String(i + 1).padStart(3, '0')}`);
  const t0 = Math.floor(Date.now() / 1000) - cycles * 30;
  const agentShare = names.slice(0, 50);
  let shareWall = 0;
  let shareCpu = { user: 0, system: 0 };
  let writeMs = 0;
  let stats: pg.QueryResult | undefined;
  const write = async (name: string, ts: number, timed: boolean, given?: ClusterSnapshot) => {
    const snap = given ?? syntheticSnapshot({ cluster: name, ts, guests: perCluster, nodes: 4 });
    // as the agent's store stage does it: the poll run in the cycle's statement where it can be
    const run = { cluster: name, durationMs: 100, requests: 6, errors: 0, endpoint: 'x', ok: true };
    const s = performance.now();
    if (!(await writeSnapshot(db, snap, { record: run, startedAt: ts }))) await writePollRun(db, run, ts);
    if (timed) writeMs += performance.now() - s;
  };
  for (let c = 0; c < cycles; c++) {
    const ts = t0 + c * 30;
    const last = c === cycles - 1;
    const s = performance.now();
    if (last) {
      // the timed share, as the agent's store stage runs it: `concurrency` clusters at once
      await store.pool.query('select pg_stat_statements_reset()');
      logging = true;
      // PROFILE_CPU=1: the share's client CPU by function (V8's sampling profiler), the snapshots built first
      const snaps = new Map(agentShare.map((name) => [name, syntheticSnapshot({ cluster: name, ts, guests: perCluster, nodes: 4 })]));
      const prof = process.env.PROFILE_CPU ? await startCpuProfile() : undefined;
      shareWall = performance.now();
      shareCpu = process.cpuUsage();
      await mapPool(agentShare, concurrency, (name) => write(name, ts, true, snaps.get(name)));
      shareWall = performance.now() - shareWall;
      shareCpu = process.cpuUsage(shareCpu);
      if (prof) console.log(`\nclient CPU of the share by function (self time, top 25):\n${await prof.stop()}`);
      logging = false;
      stats = await store.pool.query(`select calls, total_exec_time, total_plan_time, rows, shared_blks_hit, shared_blks_read, shared_blks_dirtied, wal_bytes, wal_records,
      regexp_replace(left(query, 90), '\\s+', ' ', 'g') as q
        from pg_stat_statements where query not like '%pg_stat_statements%' order by total_exec_time desc limit 25`);
    }
    for (const name of names) if (!last || !agentShare.includes(name)) await write(name, ts, false);
    console.log(`cycle ${c}: ${clusters} clusters in ${Math.round(performance.now() - s)} ms`);
  }
  // the timed share: the last cycle of the first 50 clusters
  console.log(`\nlast cycle, ${agentShare.length} clusters × ${perCluster} guests, ${concurrency} at once: ${Math.round(shareWall)} ms wall; this process's CPU ${Math.round((shareCpu.user + shareCpu.system) / 1000)} ms (user ${Math.round(shareCpu.user / 1000)}, system ${Math.round(shareCpu.system / 1000)}; the snapshots were built before)`);
  console.log(`  writeSnapshot calls ${Math.round(writeMs)} ms in all, of which round trips (kysely: sent → answered) ${Math.round(roundTripMs)} ms, in the client before sending (plan, parameters, SQL) ${Math.round(writeMs - roundTripMs)} ms`);
  console.log(`  by statement (round trip as the client saw it, all clusters of the share):`);
  for (const [k, v] of [...times].sort((a, b) => b[1].ms - a[1].ms)) console.log(`${v.ms.toFixed(1).padStart(8)} ms ${String(v.n).padStart(5)}× ${k}`);
  // the server's own account of the same statements (pg_stat_statements: execution, planning, rows, buffers, WAL)
  console.log(`\n  in the server (pg_stat_statements over the share; nested statements of a CTE are counted as their statement):`);
  console.log(`${'exec ms'.padStart(9)} ${'plan ms'.padStart(8)} ${'calls'.padStart(6)} ${'rows'.padStart(7)} ${'hit'.padStart(7)} ${'dirtied'.padStart(7)} ${'WAL kB'.padStart(8)}  statement`);
  for (const r of stats!.rows as Array<Record<string, string | number>>) {
    console.log(`${Number(r.total_exec_time).toFixed(1).padStart(9)} ${Number(r.total_plan_time).toFixed(1).padStart(8)} ${String(r.calls).padStart(6)} ${String(r.rows).padStart(7)} ${String(r.shared_blks_hit).padStart(7)} ${String(r.shared_blks_dirtied).padStart(7)} ${(Number(r.wal_bytes) / 1024).toFixed(0).padStart(8)}  ${String(r.q)}`);
  }
  // The client's part alone, without a server: one cluster's cycle statement built (the guest plan,
  // rows, column arrays, SQL) and its parameters converted by node-postgres, against a pool that
  // answers at once. CPU time per cluster, median of 5 rounds over the share.
  {
    const fakePool = {
      connect: async () => ({
        query: async (_text: string, params: unknown[]) => {
          for (const v of params) pgUtils.prepareValue(v);
          return { command: 'SELECT', rowCount: 1, rows: [{ written: 1 }] };
        },
        release() {},
      }),
      end: async () => undefined,
    } as unknown as pg.Pool;
    const fake = new Kysely<Database>({ dialect: new PostgresDialect({ pool: fakePool }) });
    const ts = t0 + cycles * 30;
    const snaps = agentShare.map((name) => syntheticSnapshot({ cluster: name, ts, guests: perCluster, nodes: 4 }));
    const known = snaps.map((snap, i) => planGuests(i + 1, { ...snap, ts: ts - 30 }, new Map()).now);
    const rounds: number[] = [];
    for (let r = 0; r < 6; r++) {
      const cpu = process.cpuUsage();
      for (let i = 0; i < snaps.length; i++) {
        const snap = snaps[i]!;
        const plan = planGuests(i + 1, snap, known[i]!);
        await writeCycleStatement(fake, { clusterId: i + 1, lastTs: ts - 30, snap, plan, run: { record: { cluster: snap.cluster, durationMs: 100, requests: 6, errors: 0, endpoint: 'x', ok: true }, startedAt: ts } });
      }
      const used = process.cpuUsage(cpu);
      if (r > 0) rounds.push((used.user + used.system) / 1000 / snaps.length);
    }
    rounds.sort((a, b) => a - b);
    console.log(`\nclient CPU per cluster statement, no server (plan, rows, arrays, SQL, node-postgres parameters): ${rounds[2]!.toFixed(3)} ms (rounds ${rounds.map((x) => x.toFixed(3)).join(' ')})`);
    await fake.destroy();
  }
  if (lastCycleSql) {
    // the client's share of one round trip: node-postgres turns every parameter into text (array
    // literals element by element) before sending; timed over the last cluster's parameters
    const params = lastCycleSql.parameters;
    const s = performance.now();
    for (let k = 0; k < 50; k++) for (const v of params) pgUtils.prepareValue(v);
    console.log(`\nnode-postgres prepareValue of one cycle statement's ${params.length} parameters (${params.reduce<number>((n, v) => n + (Array.isArray(v) ? v.length : 1), 0)} values): ${((performance.now() - s) / 50).toFixed(2)} ms; SQL text ${lastCycleSql.sql.length} characters`);
    // the last cluster's cycle statement again (guard reset, samples already there), planned and run, rolled back
    const c = await store.pool.connect();
    try {
      await c.query('begin');
      const ts = t0 + (cycles - 1) * 30;
      // the share's clusters stored side by side: whichever was logged last, its guard and rows are reset
      await c.query('update clusters set last_sample_ts = $1 where name = any($2)', [ts - 30, agentShare]);
      // the cycle's rows are already there: removed (in this transaction) so the plan inserts them as the cycle did
      for (const t of ['guest_samples', 'node_samples', 'storage_samples', 'poll_runs']) {
        const col = t === 'poll_runs' ? 'started_at' : 'ts';
        await c.query(`delete from ${t} where ${col} = $1 and cluster_id in (select id from clusters where name = any($2))`, [ts, agentShare]);
      }
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
