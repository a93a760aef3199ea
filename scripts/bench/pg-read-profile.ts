// Profiles the two reads of the scale benchmark (issue 17 item 5) without agents: the fleet
// overview's columns of v_guest_latest for every guest and one guest's 30 days of 5-minute
// rollups, each read several ways into node-postgres, with the client's CPU time beside the wall
// time; EXPLAIN=1 prints the plans of the plain and the packed overview instead.
// Run: npx tsx scripts/bench/pg-read-profile.ts [clusters=250] [guestsPerCluster=200]
import pg from 'pg';
import { Kysely } from 'kysely';
import { startThrowawayPgStore } from './pg-throwaway-store.ts';
import { createPgDialect } from '../../agent/store/pg-dialect.ts';
import { writeSnapshot, writePollRun } from '../../agent/store/snapshot.repository.ts';
import type { Database } from '../../agent/store/schema.ts';
import { readFleetOverview } from '../../agent/store/fleet-overview.repository.ts';
import { GUEST_STATE_SQL, readGuestState } from '../../agent/store/guest-state.repository.ts';
import { queryGuests } from '../../agent/store/site-inventory.repository.ts';
import { queryGuestTierSeries } from '../../agent/store/site-series.repository.ts';
import { syntheticSnapshot } from './store-synthetic.ts';
import { median, wallCpuMedian } from './wall-cpu.ts';

const [clusters = 250, perCluster = 200] = process.argv.slice(2).map(Number);
const RUNS = 9;
const { server, store, url } = await startThrowawayPgStore('prof');
try {
  const db = new Kysely<Database>({ dialect: createPgDialect(store.pool) });
  const names = Array.from({ length: clusters }, (_, i) => `c${String(i + 1).padStart(3, '0')}`);
  const t0 = Math.floor(Date.now() / 1000) - 60;
  for (let c = 0; c < 2; c++) {
    const s = performance.now();
    for (const name of names) {
      const ts = t0 + c * 30;
      await writeSnapshot(db, syntheticSnapshot({ cluster: name, ts, guests: perCluster, nodes: 4 }));
      await writePollRun(db, { cluster: name, durationMs: 100, requests: 6, errors: 0, endpoint: 'x', ok: true }, ts);
    }
    console.log(`fill cycle ${c}: ${Math.round(performance.now() - s)} ms`);
  }
  // WAL of one more cycle of every cluster (the one-statement path) with guest_state unlogged (as
  // migrated) and, for comparison, logged: what the derived current state would add to the WAL
  const walCycle = async (c: number) => {
    const w0 = (await store.pool.query('select pg_current_wal_insert_lsn()::text as l')).rows[0].l as string;
    for (const name of names) await writeSnapshot(db, syntheticSnapshot({ cluster: name, ts: t0 + c * 30, guests: perCluster, nodes: 4 }));
    const w1 = (await store.pool.query('select pg_current_wal_insert_lsn()::text as l')).rows[0].l as string;
    return Number((await store.pool.query('select pg_wal_lsn_diff($1, $2)::bigint as b', [w1, w0])).rows[0].b);
  };
  const walUnlogged = await walCycle(2);
  await store.pool.query('alter table guest_state set logged');
  const walLogged = await walCycle(3);
  await store.pool.query('alter table guest_state set unlogged');
  const walAgain = await walCycle(4);
  const perDay1000 = (b: number) => `${Math.round((b * 2880) / (clusters * perCluster / 1000) / 1e6)} MB/day/1,000 guests at 30 s`;
  console.log(`WAL per cycle of all ${clusters * perCluster} guests: guest_state unlogged ${walUnlogged} B (${perDay1000(walUnlogged)}), logged ${walLogged} B (${perDay1000(walLogged)}), unlogged again ${walAgain} B`);
  const g = (await store.pool.query('select cluster_id, vmid from guests order by cluster_id, vmid limit 1')).rows[0] as { cluster_id: number; vmid: number };
  const now = Math.floor(Date.now() / 1000);
  const from = now - 30 * 86_400;
  await store.pool.query(`insert into guest_samples_5m (cluster_id, vmid, ts, samples, cpu_avg, cpu_max, mem_avg, mem_max)
    select $1, $2, t, 5, 0.2, 0.4, 1e9, 2e9 from generate_series($3::bigint, $4::bigint, 300) as t on conflict do nothing`, [g.cluster_id, g.vmid, Math.floor(from / 300) * 300, now - 3600]);
  await store.pool.query('analyze');
  const types = await store.pool.query(`select column_name, data_type from information_schema.columns where table_name = 'v_guest_latest' order by ordinal_position`);
  console.log(types.rows.map((r: { column_name: string; data_type: string }) => `${r.column_name}:${r.data_type}`).join(' '));

  const plain = new pg.Client({ connectionString: url });
  await plain.connect();
  const storeClient = await store.pool.connect();
  const time = async (label: string, fn: () => Promise<number>) => {
    const r = await wallCpuMedian(fn, RUNS);
    console.log(`${label.padEnd(58)} ${r.wallMs.toFixed(1).padStart(7)} ms wall ${r.cpuMs.toFixed(1).padStart(7)} ms client CPU  ${r.n} rows`);
  };
  const server1 = async (text: string, params: unknown[] = []) => {
    const xs: number[] = [];
    for (let k = 0; k < 5; k++) {
      const r = await plain.query(`explain (analyze, timing off, format json) ${text}`, params);
      xs.push((r.rows[0] as { 'QUERY PLAN': Array<{ 'Execution Time': number }> })['QUERY PLAN'][0]!['Execution Time']);
    }
    console.log(`${('  server: ' + text.slice(0, 48)).padEnd(58)} ${median(xs).toFixed(1).padStart(7)} ms`);
  };
  const COLS = 'cluster, vmid, name, type, node, status, tags, cpu, mem, maxmem, uptime, netin_bps, netout_bps';
  const OV = `select ${COLS} from v_guest_latest`;
  const n = (r: pg.QueryResult) => r.rowCount ?? 0;
  const colList = COLS.split(', ');
  if (process.env.EXPLAIN) {
    for (const q of [OV, `select cluster, ${colList.filter((c) => c !== 'cluster').map((c) => `json_agg(${c})::text as ${c}`).join(', ')} from v_guest_latest group by cluster`, `select cluster_id, min(cluster) as cluster, ${colList.filter((c) => c !== 'cluster').map((c) => `json_agg(${c})::text as ${c}`).join(', ')} from v_guest_latest group by cluster_id`]) {
      for (let k = 0; k < 2; k++) await plain.query(`explain (analyze) ${q}`);
      const r = await plain.query(`explain (analyze, buffers) ${q}`);
      console.log(`\n== ${q.slice(0, 80)}\n${r.rows.map((x: Record<string, string>) => x['QUERY PLAN']).join('\n')}`);
    }
    storeClient.release();
    await plain.end();
    await db.destroy();
    await server.stop();
    process.exit(0);
  }
  await server1(OV);
  await time('overview: plain client, objects (the bench today)', async () => n(await plain.query(OV)));
  await time('overview: store pool (int8/numeric → Number), objects', async () => n(await storeClient.query(OV)));
  const toObjects = (r: pg.QueryResult<unknown[]>) => {
    const names = r.fields.map((f) => f.name);
    const out: Array<Record<string, unknown>> = new Array(r.rows.length);
    for (let i = 0; i < r.rows.length; i++) {
      const a = r.rows[i]!;
      const o: Record<string, unknown> = {};
      for (let k = 0; k < names.length; k++) o[names[k]!] = a[k];
      out[i] = o;
    }
    return out;
  };
  await server1(GUEST_STATE_SQL);
  await time('overview: readFleetOverview (store, guest_state rows)', async () => (await readFleetOverview(db)).length);
  await time('site: queryGuests (store, guest_state rows)', async () => (await queryGuests(db)).length);
  await time('site: queryGuests as before (kysely select from guests)', async () => (await db.selectFrom('guests').select(['cluster_id', 'vmid', 'type', 'node', 'name', 'status', 'template', 'tags', 'pool', 'lock', 'hastate', 'maxcpu', 'maxmem', 'maxdisk', 'first_seen', 'changed_at']).where('removed_at', 'is', null).orderBy('cluster_id').orderBy('vmid').execute()).length);
  await store.pool.query('alter table guest_state rename to guest_state_off');
  await store.pool.query('create unlogged table guest_state (like guest_state_off including all)');
  await time('overview: readFleetOverview, no guest_state rows (fallback)', async () => {
    let n = 0;
    await readGuestState(db, { inventory: true }, (c) => { n += c.latest.vmid.length; });
    return n;
  });
  await store.pool.query('drop table guest_state');
  await store.pool.query('alter table guest_state_off rename to guest_state');
  await time('overview: store pool, rowMode array → objects in JS', async () => toObjects(await storeClient.query<unknown[]>({ text: OV, rowMode: 'array' })).length);
  await time('overview: store pool, objects (again)', async () => n(await storeClient.query(OV)));
  await time('overview: store pool, rowMode array (again)', async () => n(await storeClient.query({ text: OV, rowMode: 'array' })));
  await time('overview: plain client, rowMode array', async () => n(await plain.query({ text: OV, rowMode: 'array' })));
  await time('overview: store pool, rowMode array', async () => n(await storeClient.query({ text: OV, rowMode: 'array' })));
  await time('overview: plain client, named prepared', async () => n(await plain.query({ name: 'ov', text: OV })));
  await time('overview: store pool, kysely selectFrom', async () => (await (db as unknown as Kysely<{ v_guest_latest: Record<string, unknown> }>).selectFrom('v_guest_latest').select(COLS.split(', ')).execute()).length);
  const JA = `select json_agg(t) as j from (${OV}) t`;
  await server1(JA);
  await time('overview: json_agg of row objects, JSON.parse', async () => (await plain.query(JA)).rows[0].j.length);
  const JA2 = `select coalesce(json_agg(json_build_array(${COLS})), '[]') as j from v_guest_latest`;
  await server1(JA2);
  await time('overview: json_agg of row arrays, JSON.parse', async () => (await plain.query(JA2)).rows[0].j.length);
  const JA2T = `select coalesce(json_agg(json_build_array(${COLS})), '[]')::text as j from v_guest_latest`;
  await time('overview: same, text only (transfer without parse)', async () => (await plain.query(JA2T)).rows[0].j.length);
    const PK = `select ${colList.map((c) => `json_agg(${c})::text as ${c}`).join(', ')} from v_guest_latest`;
  await server1(PK);
  const transpose = (cols: Record<string, unknown[]>) => {
    const names = Object.keys(cols);
    const len = cols[names[0]!]!.length;
    const out: Array<Record<string, unknown>> = new Array(len);
    for (let i = 0; i < len; i++) {
      const o: Record<string, unknown> = {};
      for (const k of names) o[k] = cols[k]![i];
      out[i] = o;
    }
    return out;
  };
  await time('overview: json_agg per column ::text, JSON.parse, transpose', async () => {
    const r = (await plain.query(PK)).rows[0] as Record<string, string>;
    const cols: Record<string, unknown[]> = {};
    for (const k of colList) cols[k] = JSON.parse(r[k]!) as unknown[];
    return transpose(cols).length;
  });
  await time('overview: json_agg per column ::text, JSON.parse only', async () => {
    const r = (await plain.query(PK)).rows[0] as Record<string, string>;
    let len = 0;
    for (const k of colList) len = (JSON.parse(r[k]!) as unknown[]).length;
    return len;
  });
  const PK2 = `select ${colList.map((c) => `array_to_json(array_agg(${c}))::text as ${c}`).join(', ')} from v_guest_latest`;
  await server1(PK2);
  await time('overview: array_to_json(array_agg) per column, parse', async () => {
    const r = (await plain.query(PK2)).rows[0] as Record<string, string>;
    let len = 0;
    for (const k of colList) len = (JSON.parse(r[k]!) as unknown[]).length;
    return len;
  });
  const PK3 = `select cluster, ${colList.filter((c) => c !== 'cluster').map((c) => `json_agg(${c})::text as ${c}`).join(', ')} from v_guest_latest group by cluster`;
  await server1(PK3);
  await time('overview: per cluster json_agg per column, parse', async () => {
    const rs = (await plain.query(PK3)).rows as Array<Record<string, string>>;
    let len = 0;
    for (const r of rs) for (const k of colList) if (k !== 'cluster') len += (JSON.parse(r[k]!) as unknown[]).length;
    return len / (colList.length - 1);
  });
  await time('overview: select count(*) (round trip + server)', async () => Number((await plain.query('select count(*) from v_guest_latest')).rows[0].count));
  // per column groups: what the text and the parse of each costs
  for (const cols of ['cluster, vmid', 'name, type, node, status, tags', 'cpu', 'mem, maxmem, uptime', 'netin_bps, netout_bps']) {
    await time(`overview columns only: ${cols}`, async () => n(await plain.query(`select ${cols} from v_guest_latest`)));
  }
  const SE = 'select ts, cpu_avg, cpu_max, mem_avg, mem_max from guest_samples_5m where cluster_id = $1 and vmid = $2 and ts >= $3 order by ts';
  const p = [g.cluster_id, g.vmid, from];
  const q5 = { tier: '5m' as const, from, group: 300 };
  await time('series: queryGuestTierSeries, one guest, 30 d of 5 min (store)', async () => (await queryGuestTierSeries(db, g.cluster_id, g.vmid, g.vmid, q5))[0]!.i.split(',').length);
  await server1(SE, p);
  await time('series: plain client, objects (the bench today)', async () => n(await plain.query(SE, p)));
  await time('series: store pool, objects', async () => n(await storeClient.query(SE, p)));
  await time('series: plain client, rowMode array', async () => n(await plain.query({ text: SE, values: p, rowMode: 'array' })));
  const SP = `select json_agg(ts order by ts)::text as ts, json_agg(cpu_avg order by ts)::text as cpu_avg, json_agg(cpu_max order by ts)::text as cpu_max, json_agg(mem_avg order by ts)::text as mem_avg, json_agg(mem_max order by ts)::text as mem_max from guest_samples_5m where cluster_id = $1 and vmid = $2 and ts >= $3`;
  await server1(SP, p);
  await time('series: json_agg per column, parse', async () => {
    const r = (await plain.query(SP, p)).rows[0] as Record<string, string>;
    let len = 0;
    for (const k of ['ts', 'cpu_avg', 'cpu_max', 'mem_avg', 'mem_max']) len = (JSON.parse(r[k]!) as unknown[]).length;
    return len;
  });
  const SJ = `select coalesce(json_agg(json_build_array(ts, cpu_avg, cpu_max, mem_avg, mem_max) order by ts), '[]') as j from guest_samples_5m where cluster_id = $1 and vmid = $2 and ts >= $3`;
  await server1(SJ, p);
  await time('series: json_agg arrays, JSON.parse', async () => (await plain.query(SJ, p)).rows[0].j.length);
  storeClient.release();
  await plain.end();
  await db.destroy();
} finally {
  await server.stop();
}
