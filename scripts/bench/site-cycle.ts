// Cycle-only measurement (not part of `npm run bench`): builds a synthetic site of N guests once,
// then times M ordinary cycles and prints one JSON line (mean/max ms, bytes, load average). Used to
// bisect and compare the ordinary cycle; run it under the unit's flags, e.g.
//   TMPDIR=/work/sc/tmp node --max-semi-space-size=2 --heap-growing-percent=20 --v8-pool-size=1 --import tsx scripts/bench/site-cycle.ts 10000 20
// CYCLE_PROF=<file>: a CPU profile of the ordinary cycles only. CACHE_KIB=<n>: SQLite's page cache
// for the run (the store's default otherwise). sqlMs: time spent in SQLite statements per build.
import { Writable } from 'node:stream';
import { loadavg } from 'node:os';
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { createLogger } from '../../agent/log/logger.ts';
import { createSiteBuilder } from '../../agent/site/site-builder.ts';
import { makeSynthetic } from './site.bench.ts';

const [guests = 10_000, cycles = 20] = process.argv.slice(2).map(Number);
const syn = await makeSynthetic(guests);
syn.store.sqlite.pragma('wal_checkpoint(TRUNCATE)');
if (process.env.CACHE_KIB) syn.store.sqlite.pragma(`cache_size = -${Number(process.env.CACHE_KIB)}`);
let sqlNow = 0;
let inBuild = false;
const proto = Object.getPrototypeOf(syn.store.sqlite.prepare('SELECT 1')) as Record<string, (...a: unknown[]) => unknown>;
for (const m of ['all', 'get', 'run', 'iterate']) {
  const orig = proto[m]!;
  proto[m] = function (this: unknown, ...a: unknown[]) {
    if (!inBuild) return orig.apply(this, a);
    const t = performance.now();
    try {
      return orig.apply(this, a);
    } finally {
      sqlNow += performance.now() - t;
    }
  };
}
let clock = syn.now * 1000;
const log = createLogger({ level: 'info', destination: new Writable({ write: (_c, _e, cb) => cb() }) });
const b = createSiteBuilder({ db: syn.store.db, log, now: () => clock, outDir: `${syn.dir}/site`, config: { pollIntervalSeconds: 60, site: { title: 'PMI Dashboard', staleAfterIntervals: 3 } } });
const full = await b.build();
const session = process.env.CYCLE_PROF ? new Session() : null;
if (session) {
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
}
const load0 = loadavg()[0]!;
const ms: number[] = [];
const cpu: number[] = [];
const sql: number[] = [];
const bytes: number[] = [];
for (let k = 0; k < cycles; k++) {
  clock += 60_000;
  b.record(syn.cycle(clock / 1000));
  const t = performance.now();
  const c0 = process.cpuUsage();
  sqlNow = 0;
  inBuild = true;
  const s = await b.build();
  inBuild = false;
  sql.push(sqlNow);
  ms.push(Math.round(performance.now() - t));
  const c1 = process.cpuUsage(c0);
  cpu.push(Math.round((c1.user + c1.system) / 1000));
  bytes.push(s.bytes);
}
if (session) writeFileSync(process.env.CYCLE_PROF!, JSON.stringify((await session.post('Profiler.stop')).profile));
await b.stop();
const mean = (xs: number[]) => Math.round(xs.reduce((a, c) => a + c, 0) / xs.length);
console.log(JSON.stringify({ guests, fullMs: full.ms, cycleMs: mean(ms), cycleMsMax: Math.max(...ms), cpuMs: mean(cpu), sqlMs: mean(sql), bytes: mean(bytes), each: ms, load: [Math.round(load0 * 100) / 100, Math.round(loadavg()[0]! * 100) / 100] }));
await syn.dispose();
