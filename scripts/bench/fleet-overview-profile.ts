// Where the PostgreSQL fleet overview read (readFleetOverview) spends its time, stage by stage,
// without agents: the server's execution (EXPLAIN ANALYZE), the transfer of guest_state's texts
// into node-postgres, their JSON.parse, and the row objects built from them.
// Run: npx tsx scripts/bench/fleet-overview-profile.ts [clusters=250] [guestsPerCluster=200]
import { Kysely } from 'kysely';
import { startThrowawayPgStore } from './pg-throwaway-store.ts';
import { createPgDialect } from '../../agent/store/pg-dialect.ts';
import { writeSnapshot, writePollRun } from '../../agent/store/snapshot.repository.ts';
import type { Database } from '../../agent/store/schema.ts';
import { pushOverviewRows, readFleetOverview, type FleetOverviewRow } from '../../agent/store/fleet-overview.repository.ts';
import { GUEST_STATE_SQL, type ClusterGuestState } from '../../agent/store/guest-state.repository.ts';
import { queryGuests } from '../../agent/store/site-inventory.repository.ts';
import { syntheticSnapshot } from './store-synthetic.ts';
import { median, wallCpuMedian } from './wall-cpu.ts';

const [clusters = 250, perCluster = 200] = process.argv.slice(2).map(Number);
const RUNS = 15;
const { server, store } = await startThrowawayPgStore('ovprof');
try {
  const db = new Kysely<Database>({ dialect: createPgDialect(store.pool) });
  const names = Array.from({ length: clusters }, (_, i) => `c${String(i + 1).padStart(3, '0')}`);
  const t0 = Math.floor(Date.now() / 1000) - 60;
  for (const name of names) {
    await writeSnapshot(db, syntheticSnapshot({ cluster: name, ts: t0, guests: perCluster, nodes: 4 }));
    await writePollRun(db, { cluster: name, durationMs: 100, requests: 6, errors: 0, endpoint: 'x', ok: true }, t0);
  }
  await store.pool.query('analyze');
  const client = await store.pool.connect();
  const time = async (label: string, fn: () => Promise<number>) => {
    const r = await wallCpuMedian(fn, RUNS);
    console.log(`${label.padEnd(60)} ${r.wallMs.toFixed(1).padStart(7)} ms wall ${r.cpuMs.toFixed(1).padStart(7)} ms CPU  n=${r.n}`);
  };
  const serverMs = async (text: string) => {
    const xs: number[] = [];
    for (let k = 0; k < 5; k++) {
      const r = await client.query(`explain (analyze, timing off, format json) ${text}`);
      xs.push((r.rows[0] as { 'QUERY PLAN': Array<{ 'Execution Time': number }> })['QUERY PLAN'][0]!['Execution Time']);
    }
    console.log(`${('server: ' + text.replace(/\s+/g, ' ').slice(0, 50)).padEnd(60)} ${median(xs).toFixed(1).padStart(7)} ms`);
  };
  const LATEST = GUEST_STATE_SQL.replace(', s.inventory', '');
  const sizes = (await client.query<{ n: string; b: string; tb: string }>('select count(*) as n, sum(octet_length(latest)) as b, sum(octet_length(inventory)) as tb from guest_state')).rows[0]!;
  console.log(`guest_state: ${sizes.n} rows, latest ${(Number(sizes.b) / 1e6).toFixed(2)} MB, inventory ${(Number(sizes.tb) / 1e6).toFixed(2)} MB`);
  await serverMs(LATEST);
  await time('round trip: select 1', async () => (await client.query('select 1')).rowCount ?? 0);
  await time('transfer: latest texts (no parse)', async () => (await client.query(LATEST)).rowCount ?? 0);
  await time('transfer: the same texts as one row (string_agg)', async () => (await client.query('select string_agg(latest, \',\') from guest_state')).rowCount ?? 0);
  await time('transfer: only their lengths (server reads them too)', async () => (await client.query('select sum(octet_length(latest)) from guest_state')).rowCount ?? 0);
  const texts = (await client.query<{ cluster_id: number; cluster: string; latest: string }>(LATEST)).rows;
  await time('JSON.parse of the latest texts', async () => texts.map((t) => JSON.parse(t.latest) as unknown).length);
  const states: ClusterGuestState[] = texts.map((t) => ({ cluster_id: t.cluster_id, cluster: t.cluster, latest: JSON.parse(t.latest) as ClusterGuestState['latest'] }));
  await time('pushOverviewRows (objects from the column arrays)', async () => {
    const out: FleetOverviewRow[] = [];
    for (const st of states) pushOverviewRows(out, st);
    return out.length;
  });
  await time('readFleetOverview (all of it)', async () => (await readFleetOverview(db)).length);
  await time('queryGuests (all of it)', async () => (await queryGuests(db)).length);
  client.release();
  await db.destroy();
} finally {
  await server.stop();
}
