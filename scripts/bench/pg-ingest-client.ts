// The agent's own CPU for one agent's share of the PostgreSQL cycle statements, without a server
// (issue 17 item 5): 50 clusters × 200 guests, each cluster's statement built (guest plan, rows,
// column arrays, guest_state texts, SQL) and its parameters converted by node-postgres against a
// pool that answers at once. Run it under the systemd unit's node flags, as the agent runs:
//   node --max-semi-space-size=2 --heap-growing-percent=20 --v8-pool-size=1 --no-wasm-dynamic-tiering \
//     --no-wasm-tier-up --import tsx scripts/bench/pg-ingest-client.ts [clusters=50] [guestsPerCluster=200] [rounds=8]
// Prints the median CPU per share and two of its parts: planGuests and guestStateTexts.
import { createRequire } from 'node:module';
import { Kysely, PostgresDialect } from 'kysely';
import type pg from 'pg';
import { planGuests } from '../../agent/store/snapshot.repository.ts';
import { writeCycleStatement } from '../../agent/store/pg-snapshot-writer.ts';
import { guestStateTexts } from '../../agent/store/guest-state.repository.ts';
import type { Database } from '../../agent/store/schema.ts';
import { syntheticSnapshot } from './store-synthetic.ts';
import { median } from './wall-cpu.ts';

const pgUtils = createRequire(import.meta.url)('pg/lib/utils.js') as { prepareValue(v: unknown): unknown };
const [clusters = 50, perCluster = 200, rounds = 8] = process.argv.slice(2).map(Number);
const types: Record<string, string> = {};
const fakePool = {
  connect: async () => ({
    query: async (text: string, params: unknown[]) => {
      // the column types unnestText reads once per table
      if (text.includes('information_schema.columns')) {
        return { command: 'SELECT', rowCount: 0, rows: Object.entries(types).map(([column_name, udt_name]) => ({ column_name, udt_name })) };
      }
      for (const v of params) pgUtils.prepareValue(v);
      return { command: 'SELECT', rowCount: 1, rows: [{ written: 1 }] };
    },
    release() {},
  }),
  end: async () => undefined,
} as unknown as pg.Pool;
// every column the statement names, with a plausible type: numbers int8/float8, the rest text
for (const c of ['ts', 'cluster_id', 'vmid', 'uptime', 'mem', 'memhost', 'disk', 'netin_bps', 'netout_bps', 'diskread_bps', 'diskwrite_bps', 'nodeid', 'maxmem', 'maxdisk', 'first_seen', 'changed_at', 'removed_at', 'template', 'mem_total', 'mem_used', 'mem_available', 'swap_total', 'swap_used', 'rootfs_total', 'rootfs_used', 'used', 'total', 'shared', 'last_seen', 'starttime', 'endtime', 'ok']) types[c] = 'int8';
for (const c of ['cpu', 'iowait', 'load1', 'load5', 'load15', 'maxcpu']) types[c] = 'float8';
for (const c of ['type', 'node', 'name', 'status', 'tags', 'pool', 'lock', 'hastate', 'ip', 'level', 'cpu_model', 'kernel', 'pve_version', 'storage', 'content', 'upid', 'object_id', 'user', 'tokenid', 'from_status', 'to_status']) types[c] = 'text';
const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: fakePool }) });
const ts0 = 1_800_000_000;
const share = Array.from({ length: clusters }, (_, i) => `c${i + 1}`);
const cpuMs = (f: () => void | Promise<void>) => async () => {
  const c = process.cpuUsage();
  await f();
  const u = process.cpuUsage(c);
  return (u.user + u.system) / 1000;
};
const total: number[] = [];
const plans: number[] = [];
const states: number[] = [];
let known = share.map((name, i) => planGuests(i + 1, syntheticSnapshot({ cluster: name, ts: ts0, guests: perCluster, nodes: 4 }), new Map()).now);
for (let r = 0; r < rounds; r++) {
  const ts = ts0 + (r + 1) * 30;
  const snaps = share.map((name) => syntheticSnapshot({ cluster: name, ts, guests: perCluster, nodes: 4 }));
  plans.push(await cpuMs(() => { snaps.forEach((s, i) => planGuests(i + 1, s, known[i]!)); })());
  states.push(await cpuMs(() => { snaps.forEach((s, i) => guestStateTexts(s, known[i]!)); })());
  const next: typeof known = [];
  total.push(await cpuMs(async () => {
    for (let i = 0; i < snaps.length; i++) {
      const snap = snaps[i]!;
      const plan = planGuests(i + 1, snap, known[i]!);
      await writeCycleStatement(db, { clusterId: i + 1, lastTs: ts - 30, snap, plan, run: { record: { cluster: snap.cluster, durationMs: 100, requests: 6, errors: 0, endpoint: 'x', ok: true }, startedAt: ts } });
      next.push(plan.now);
    }
  })());
  known = next;
}
const f = (xs: number[]) => `${median(xs.slice(1)).toFixed(1)} ms (${xs.slice(1).map((x) => x.toFixed(0)).join(' ')})`;
console.log(`${clusters} clusters × ${perCluster} guests, CPU per share, median of ${rounds - 1} after a warm-up:`);
console.log(`  whole client part (plan + statement + parameters): ${f(total)}`);
console.log(`  of which planGuests: ${f(plans)}; guestStateTexts: ${f(states)}`);
await db.destroy();
