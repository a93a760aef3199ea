// Where an agent's store stage goes in the scale benchmark (issue 17 item 5): run beside
// `npm run bench -- --only scale` (with PMI_SCALE_LOG_DIR, and PMI_SCALE_PG_SETTINGS naming
// pg_stat_statements in shared_preload_libraries for the per-statement part). It finds the scale
// bench's throw-away server (the newest /tmp/pmi-pg-*), connects through its unix socket, and every
// SAMPLE_MS records
//   - the CPU time (/proc/<pid>/stat) of each agent, the simulator, PostgreSQL's client backends,
//     autovacuum and its other processes, and the machine (/proc/stat: busy of 2 cores);
//   - the active backends' wait events (pg_stat_activity; no wait event = on CPU).
// Every 10 s a copy of pg_stat_statements. When the bench's server goes away it reads the agents'
// "cycle done" lines (their store stage: from cycle start + poll to + store) and prints, per
// agent and over all its store stages after the first cycle: the wall time, the CPU of each process
// group inside those windows, the machine's idle CPU, and the wait events of active backends; then
// the cycle statement's server time (pg_stat_statements between the first and last copy).
// Run: npx tsx scripts/bench/scale-sampler.ts <logDir> [out.json]
import { readFileSync, readdirSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';

const [logDir = '/tmp/scale-logs', outFile] = process.argv.slice(2);
const SAMPLE_MS = Number(process.env.SAMPLE_MS ?? 50);
const TICK = 100; // USER_HZ: /proc times are in 1/100 s
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The throw-away servers started since `since` (other engineers' profiles start some too). */
function servers(since: number): Array<{ dir: string; port: number }> {
  return readdirSync('/tmp').filter((d) => d.startsWith('pmi-pg-')).map((d) => join('/tmp', d))
    .filter((d) => existsSync(join(d, 'data', 'postmaster.pid')) && statSync(d).mtimeMs >= since)
    .map((d) => ({ dir: d, port: Number(readFileSync(join(d, 'data', 'postmaster.pid'), 'utf8').split('\n')[3]) }));
}

function group(pid: string): string | undefined {
  let cmd: string;
  try {
    cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return undefined;
  }
  const agent = /--config \S*\/(agent-\d|standby)\/config\.json/.exec(cmd);
  if (agent) return agent[1];
  if (cmd.startsWith('postgres: ')) {
    if (cmd.includes('autovacuum')) return 'pg-autovacuum';
    if (/postgres: pmi /.test(cmd)) return 'pg-backends';
    return 'pg-other';
  }
  if (cmd.includes('pve-sim') || cmd.includes('sim-child') || cmd.includes('poll-child')) return 'simulator';
  // the bench's own process (its reads at 50,000 guests run while the agents cycle)
  if (cmd.includes('scripts/bench.ts')) return 'bench';
  return undefined;
}

function cpuByGroup(): Record<string, number> {
  const out: Record<string, number> = {};
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    const g = group(pid);
    if (!g) continue;
    try {
      const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
      out[g] = (out[g] ?? 0) + (Number(f[11]) + Number(f[12])) * (1000 / TICK);
    } catch {
      // gone
    }
  }
  const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.split(/\s+/).slice(1).map(Number);
  out['machine-idle'] = (cpu[3]! + cpu[4]!) * (1000 / TICK);
  out['machine-busy'] = (cpu.slice(0, 8).reduce((a, b) => a + b, 0) - cpu[3]! - cpu[4]!) * (1000 / TICK);
  return out;
}

interface Sample { t: number; cpu: Record<string, number>; waits: string[] }
const samples: Sample[] = [];
const statements: Array<{ t: number; rows: Array<{ q: string; calls: number; exec: number; plan: number; rows: number; dirtied: number; wal: number }> }> = [];

// the scale bench's server: the one (started after this script) that has the database pmi_scale
const t0 = Date.now();
let client: pg.Client | undefined;
while (!client) {
  if (Date.now() - t0 > 900_000) throw new Error('no scale bench server appeared');
  await sleep(500);
  for (const s of servers(t0 - 5000)) {
    const c = new pg.Client({ host: s.dir, port: s.port, user: 'pmi', database: 'pmi_scale' });
    try {
      // the server's shutdown at the bench's end arrives as an error event: the end of sampling, not a crash
      c.on('error', () => undefined);
      await c.connect();
      client = c;
      console.error(`server ${s.dir} port ${s.port}`);
      break;
    } catch {
      await c.end().catch(() => undefined);
    }
  }
}
let pss = await client.query('create extension if not exists pg_stat_statements').then(() => true, (e: unknown) => (console.error(`no pg_stat_statements: ${String(e)}`), false));
let lastStats = 0;
for (;;) {
  const t = Date.now();
  try {
    const cpu = cpuByGroup();
    const r = await client.query<{ w: string }>(`select backend_type || ':' || coalesce(wait_event_type || '/' || wait_event, 'CPU') as w
      from pg_stat_activity where state = 'active' and pid <> pg_backend_pid() and backend_type <> 'walsender'`);
    samples.push({ t, cpu, waits: r.rows.map((x) => x.w) });
    if (pss && t - lastStats > 10_000) {
      lastStats = t;
      const s = await client.query(`select regexp_replace(left(query, 70), '\\s+', ' ', 'g') as q, calls::float8 as calls, total_exec_time as exec, total_plan_time as plan,
        rows::float8 as rows, shared_blks_dirtied::float8 as dirtied, wal_bytes::float8 as wal from pg_stat_statements`).catch(() => undefined);
      if (s) statements.push({ t, rows: s.rows });
      else pss = false;
    }
  } catch {
    break; // the server went away: the bench ended
  }
  await sleep(Math.max(0, SAMPLE_MS - (Date.now() - t)));
}
await client.end().catch(() => undefined);
// the raw samples beside the report, for another look
if (outFile) writeFileSync(`${outFile}.samples.json`, JSON.stringify({ samples, statements }));

// the store windows from the agents' logs
interface Window { agent: string; from: number; to: number }
const windows: Window[] = [];
for (const f of readdirSync(logDir).filter((x) => /^agent-\d\.log$/.test(x))) {
  const agent = f.replace('.log', '');
  const lines = readFileSync(join(logDir, f), 'utf8').split('\n').filter((l) => l.includes('"cycle done"'));
  lines.slice(1).forEach((l) => {
    const o = JSON.parse(l) as { time: number; ms: number; stages: Record<string, number> };
    const start = o.time - o.ms;
    windows.push({ agent, from: start + o.stages.poll!, to: start + o.stages.poll! + o.stages.store! });
  });
}
const at = (t: number) => {
  // the sample nearest to t
  let lo = 0;
  let hi = samples.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (samples[mid]!.t < t) lo = mid + 1;
    else hi = mid;
  }
  return samples[lo]!;
};
const report: Record<string, unknown> = {};
for (const agent of [...new Set(windows.map((w) => w.agent))].sort()) {
  const ws = windows.filter((w) => w.agent === agent && w.from >= samples[0]!.t && w.to <= samples.at(-1)!.t);
  const cpu: Record<string, number> = {};
  const waits: Record<string, number> = {};
  let wall = 0;
  let n = 0;
  for (const w of ws) {
    const a = at(w.from);
    const b = at(w.to);
    wall += b.t - a.t;
    for (const k of Object.keys(b.cpu)) cpu[k] = (cpu[k] ?? 0) + (b.cpu[k]! - (a.cpu[k] ?? 0));
    for (const s of samples) {
      if (s.t < a.t || s.t > b.t) continue;
      n++;
      for (const x of s.waits) waits[x] = (waits[x] ?? 0) + 1;
    }
  }
  // what no group above accounts for: other processes on the machine (another engineer's tests, this sampler)
  cpu['not-grouped'] = (cpu['machine-busy'] ?? 0) - Object.entries(cpu).filter(([k]) => !k.startsWith('machine-')).reduce((a, [, v]) => a + v, 0);
  const per = (x: number) => Math.round(x / Math.max(1, ws.length));
  report[agent] = {
    windows: ws.length,
    storeWallMsPerCycle: per(wall),
    cpuMsPerCycleInWindow: Object.fromEntries(Object.entries(cpu).sort((x, y) => y[1] - x[1]).map(([k, v]) => [k, per(v)])),
    activeBackendsBySample: Object.fromEntries(Object.entries(waits).sort((x, y) => y[1] - x[1]).map(([k, v]) => [k, Math.round((v / Math.max(1, n)) * 100) / 100])),
    samples: n,
  };
}
// over the whole run: CPU per group (ms per second), for scale
const all: Record<string, number> = {};
const first = samples[0]!;
const last = samples.at(-1)!;
for (const k of Object.keys(last.cpu)) all[k] = Math.round((last.cpu[k]! - (first.cpu[k] ?? 0)) / ((last.t - first.t) / 1000));
report.cpuMsPerSecondWholeRun = all;
if (statements.length >= 2) {
  // from the copy after the first minute to the last
  const a = statements.find((s) => s.t > first.t + 90_000) ?? statements[0]!;
  const b = statements.at(-1)!;
  const before = new Map(a.rows.map((r) => [r.q, r]));
  report.statements = {
    windowSeconds: Math.round((b.t - a.t) / 1000),
    rows: b.rows.map((r) => {
      const o = before.get(r.q);
      const calls = r.calls - (o?.calls ?? 0);
      return { q: r.q, calls, execMs: Math.round(r.exec - (o?.exec ?? 0)), meanExecMs: calls ? Math.round(((r.exec - (o?.exec ?? 0)) / calls) * 100) / 100 : 0, planMs: Math.round(r.plan - (o?.plan ?? 0)), rows: r.rows - (o?.rows ?? 0), dirtied: r.dirtied - (o?.dirtied ?? 0), walKB: Math.round((r.wal - (o?.wal ?? 0)) / 1024) };
    }).filter((r) => r.calls > 0).sort((x, y) => y.execMs - x.execMs).slice(0, 20),
  };
}
const text = JSON.stringify(report, null, 1);
if (outFile) writeFileSync(outFile, text);
console.log(text);
