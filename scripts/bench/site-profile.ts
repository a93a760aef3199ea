// Profiling aid (not part of `npm run bench`): one size's full build and a few cycles with the
// builder's own log lines (phaseMs) on stdout. Run under the unit's flags, e.g.
//   TMPDIR=/work/bench-ext4/engine node --max-semi-space-size=2 --heap-growing-percent=20 --v8-pool-size=1 --cpu-prof --import tsx scripts/bench/site-profile.ts 1000 6
import { createLogger } from '../../agent/log/logger.ts';
import { createSiteBuilder } from '../../agent/site/site-builder.ts';
import { fsWriter, type SiteWriter } from '../../agent/site/publish.ts';
import { Session } from 'node:inspector/promises';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { makeSynthetic } from './site.bench.ts';

const [guests = 1000, cycles = 6] = process.argv.slice(2).map(Number);
const syn = await makeSynthetic(guests);
syn.store.sqlite.pragma('wal_checkpoint(TRUNCATE)');
let clock = syn.now * 1000;
// SQL time per statement (PROFILE_SQL=1): which reads a build spends its time in.
const sqlMs = new Map<string, number>();
if (process.env.PROFILE_SQL) {
  const proto = Object.getPrototypeOf(syn.store.sqlite.prepare('SELECT 1')) as Record<string, (...a: unknown[]) => unknown>;
  for (const m of ['all', 'get', 'run', 'iterate']) {
    const orig = proto[m]!;
    proto[m] = function (this: { source: string }, ...a: unknown[]) {
      const t = performance.now();
      try { return orig.apply(this, a); } finally {
        const k = this.source.replace(/\s+/g, ' ').slice(0, 110);
        sqlMs.set(k, (sqlMs.get(k) ?? 0) + performance.now() - t);
      }
    };
  }
}
const dumpSql = (label: string) => {
  if (!process.env.PROFILE_SQL) return;
  console.log(`-- SQL ${label}`);
  for (const [k, v] of [...sqlMs].sort((a, b) => b[1] - a[1]).slice(0, 12)) console.log(String(Math.round(v)).padStart(6), k);
  sqlMs.clear();
};
const log = createLogger({ level: 'info' });
// WRITES=1: bytes written per kind of file, per build.
const written = new Map<string, number>();
const writer: SiteWriter = {
  ...fsWriter,
  writeFile(p, d) {
    const kind = p.replace(/^.*\/(releases\/\d+|trees\/[^/]+\/[^/]+|state)\//, '').replace(/\d+/g, 'N');
    written.set(kind, (written.get(kind) ?? 0) + (typeof d === 'string' ? Buffer.byteLength(d) : d.length));
    // SYNC_WRITES=1: each file written by the main thread (writeFileSync) instead of libuv's pool.
    return process.env.SYNC_WRITES ? writeFileSync(p, d) : fsWriter.writeFile(p, d);
  },
};
const dumpWrites = () => {
  if (!process.env.WRITES) return;
  console.log([...written].sort((a, b) => b[1] - a[1]).slice(0, 14).map(([k, v]) => `${k} ${Math.round(v / 1024)}K`).join(' | '));
  written.clear();
};
const mk = () => createSiteBuilder({ writer, db: syn.store.db, log, now: () => clock, outDir: `${syn.dir}/site`, config: { pollIntervalSeconds: 60, site: { title: 'PMI Dashboard', staleAfterIntervals: 3 } } });
const b = mk();
/** A CPU profile into `file` (when set) from now until the returned stop. */
async function cpuProfile(file: string | undefined): Promise<() => Promise<void>> {
  if (!file) return async () => {};
  const s = new Session();
  s.connect();
  await s.post('Profiler.enable');
  await s.post('Profiler.start');
  return async () => {
    writeFileSync(file, JSON.stringify((await s.post('Profiler.stop')).profile));
    s.disconnect();
  };
}
/** A sampling allocation profile (.heapprofile, bytes allocated per call site) into `file` (when set) until the returned stop. */
async function allocProfile(file: string | undefined, samplingInterval: number, minorGC = true): Promise<() => Promise<void>> {
  if (!file) return async () => {};
  const s = new Session();
  s.connect();
  await s.post('HeapProfiler.enable');
  await s.post('HeapProfiler.startSampling', { samplingInterval, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: minorGC });
  return async () => {
    writeFileSync(file, JSON.stringify((await s.post('HeapProfiler.stopSampling')).profile));
    s.disconnect();
  };
}
// PROFILE_FULL=<file>: a CPU profile of the full build only.
const stopFull = await cpuProfile(process.env.PROFILE_FULL);
// PROFILE_ALLOC_FULL=<file>: an allocation profile of the full build only; PROMOTED=1: only what
// outlived a scavenge (what the small young generation copies and promotes).
const stopAllocFull = await allocProfile(process.env.PROFILE_ALLOC_FULL, 65_536, !process.env.PROMOTED);
// Markers for --trace-gc-nvp output: the full build's collections are the lines between them.
console.log('-- full build start');
// The main thread's own CPU (what the build waits for on a busy machine), from /proc (clock ticks of 10 ms).
const mainCpu = () => readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8').split(') ')[1]!.split(' ').slice(11, 13).map((x) => Number(x) * 10);
const cpu0 = process.cpuUsage();
const main0 = mainCpu();
// Every thread's CPU (ms user + system) by name: what the other core spends (libuv's file writes, V8's GC helper, a reader thread).
const threads = () => new Map(readdirSync('/proc/self/task').map((t) => {
  const st = readFileSync(`/proc/self/task/${t}/stat`, 'utf8');
  const f = st.split(') ')[1]!.split(' ');
  return [`${t} ${st.slice(st.indexOf('(') + 1, st.lastIndexOf(')'))}`, (Number(f[11]) + Number(f[12])) * 10];
}));
const threads0 = threads();
await b.build();
const cpu = process.cpuUsage(cpu0);
const main1 = mainCpu();
console.log(`-- full build end: CPU of this process ${Math.round(cpu.user / 1000)} ms user, ${Math.round(cpu.system / 1000)} ms system; main thread ${main1[0]! - main0[0]!} ms user, ${main1[1]! - main0[1]!} ms system`);
console.log(`-- threads (ms CPU during the full build): ${[...threads()].map(([k, v]) => [k, v - (threads0.get(k) ?? 0)] as const).filter(([, v]) => v > 0).map(([k, v]) => `${k} ${v}`).join(', ')}`);
await stopAllocFull();
await stopFull();
dumpSql('full');
dumpWrites();
// PROFILE_CYCLES=<file>: a CPU profile of the ordinary cycles and the restart only.
const stopCycles = await cpuProfile(process.env.PROFILE_CYCLES);
// PROFILE_ALLOC=<file>: an allocation profile of the ordinary cycles.
const stopAlloc = await allocProfile(process.env.PROFILE_ALLOC, 16_384);
for (let k = 0; k < cycles; k++) {
  clock += 60_000;
  b.record(syn.cycle(clock / 1000));
  await b.build();
  dumpSql(`cycle ${k}`);
  dumpWrites();
}
await stopAlloc();
await b.stop();
await stopCycles();
// PROFILE_RESTART=<file>: a CPU profile of the restart's first cycle only (state read back included).
const stopRestart = await cpuProfile(process.env.PROFILE_RESTART);
// PROFILE_ALLOC_RESTART=<file>: an allocation profile of the restart's first cycle only.
const stopAllocRestart = await allocProfile(process.env.PROFILE_ALLOC_RESTART, 16_384);
const r = mk();
clock += 60_000;
r.record(syn.cycle(clock / 1000));
const t0 = performance.now();
r.start();
console.log(`-- restart: state and release read back in ${Math.round(performance.now() - t0)} ms`);
await r.build();
dumpSql('restart');
await stopAllocRestart();
await stopRestart();
await r.stop();
console.log(`rss ${Math.round(process.memoryUsage().rss / 1048576)} MB`);
if (process.env.KEEP_SITE) { console.log(`kept ${syn.dir}`); await syn.store.close(); } else await syn.dispose();
