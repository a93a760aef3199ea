// Store benchmark (issue 4 §7): ingest time, query times and disk write volume, measured on temp
// database files. Nothing here is typed in: every figure comes from a run.
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Kysely } from 'kysely';
import { createLogger } from '../../agent/log/logger.ts';
import { openDatabase, type Store } from '../../agent/store/open-database.ts';
import { writeSnapshot } from '../../agent/store/snapshot.repository.ts';
import { createMaintenance, type MaintenanceOptions } from '../../agent/store/maintenance.ts';
import { syntheticSnapshot, noise } from './store-synthetic.ts';

export interface StoreBenchResult {
  ingestMsPerCycle: number;
  guestSeriesQueryMs: number;
  fleetOverviewQueryMs: number;
  dbBytesWrittenPerDayPer1000Guests: number;
  dbSizeBytesPer1000Guests: number;
  details: Record<string, number | string>;
  notes: string[];
}

const T0 = 1_764_201_600; // an hour boundary (2025-11-27T00:00Z)
const silent = createLogger({ level: 'silent' });

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const round = (n: number, d = 2): number => Math.round(n * 10 ** d) / 10 ** d;

/** Bytes this process has passed to write(2) so far (Linux /proc/self/io `wchar`). */
export function bytesWritten(): number {
  const m = /wchar:\s*(\d+)/.exec(readFileSync('/proc/self/io', 'utf8'));
  if (!m) throw new Error('/proc/self/io has no wchar line');
  return Number(m[1]);
}

function tempStore(opts: Parameters<typeof openDatabase>[1] = {}): Promise<Store & { dir: string; file: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'pmi-store-bench-'));
  const file = join(dir, 'pmi.db');
  return openDatabase(file, opts).then((s) => ({ ...s, dir, file }));
}

export interface WriteVolumeOptions {
  guests: number;
  /** Simulated hours measured (after one warm-up hour). */
  hours: number;
  pageSize?: number;
  walAutocheckpointPages?: number;
  maintenance?: Partial<MaintenanceOptions>;
}

/**
 * Bytes written per simulated day: cycles every 60 s with maintenance after each (rollups every
 * window, raw pruning with a 1 h raw retention so the prune deletes happen inside the span at the
 * same per-cycle rate as at 48 h), wchar delta including a final checkpoint, scaled to 24 h; plus
 * one full daily pass of tier pruning measured separately on a table holding a day past retention.
 */
export async function measureWriteVolume(o: WriteVolumeOptions): Promise<{ perDay: number; spanBytes: number; tierPruneBytes: number; walMax: number }> {
  const s = await tempStore({ pageSize: o.pageSize, walAutocheckpointPages: o.walAutocheckpointPages });
  try {
    let clock = T0 * 1000;
    const m = createMaintenance({ db: s.db, log: silent, now: () => clock, retention: { rawHours: 1, fiveMinuteDays: 30, hourlyDays: 400 }, options: { ...o.maintenance, tierPruneEverySeconds: 10 * 86_400 } });
    const cycle = async (i: number) => {
      const ts = T0 + i * 60;
      clock = (ts + 2) * 1000;
      await writeSnapshot(s.db, syntheticSnapshot({ ts, guests: o.guests }));
      await m.run();
    };
    let i = 0;
    for (; i < 90; i++) await cycle(i); // warm-up: tables, first rollups, raw pruning under way
    s.sqlite.pragma('wal_checkpoint(TRUNCATE)');
    const before = bytesWritten();
    let walMax = 0;
    const cycles = Math.round(o.hours * 60);
    for (let k = 0; k < cycles; k++, i++) {
      await cycle(i);
      if (k % 30 === 0) walMax = Math.max(walMax, statSync(`${s.file}-wal`).size);
    }
    s.sqlite.pragma('wal_checkpoint(TRUNCATE)');
    const spanBytes = bytesWritten() - before;

    // Daily tier pruning pass: put one expired day of 5m and 1h rows in front of every series.
    const old = T0 - 40 * 86_400;
    const ins5 = s.sqlite.prepare('insert into guest_samples_5m (cluster_id, vmid, ts, samples, cpu_avg, cpu_max, mem_avg, mem_max) values (1, ?, ?, 5, 0.1, 0.2, 1000000, 2000000)');
    const ins1 = s.sqlite.prepare('insert into guest_samples_1h (cluster_id, vmid, ts, samples, cpu_avg, cpu_max, mem_avg, mem_max) values (1, ?, ?, 60, 0.1, 0.2, 1000000, 2000000)');
    s.sqlite.transaction(() => {
      for (let v = 100; v < 100 + o.guests; v++) {
        for (let t = old; t < old + 86_400; t += 300) ins5.run(v, t);
        for (let t = old - 400 * 86_400; t < old - 399 * 86_400; t += 3600) ins1.run(v, t);
      }
    })();
    s.sqlite.prepare("delete from agent_state where key like 'prune.%'").run(); // start a pass now
    s.sqlite.pragma('wal_checkpoint(TRUNCATE)');
    const pruneStart = bytesWritten();
    const pm = createMaintenance({ db: s.db, log: silent, now: () => clock, retention: { rawHours: 1, fiveMinuteDays: 30, hourlyDays: 400 }, options: { maxWindowsPerRun: 0, rawPruneSpanSeconds: 0 } });
    for (let k = 0; k < Math.ceil(o.guests / 2000) + 1; k++) await pm.run();
    s.sqlite.pragma('wal_checkpoint(TRUNCATE)');
    const tierPruneBytes = bytesWritten() - pruneStart;
    return { perDay: (spanBytes / (cycles * 60)) * 86_400 + tierPruneBytes, spanBytes, tierPruneBytes, walMax };
  } finally {
    await s.close();
    rmSync(s.dir, { recursive: true, force: true });
  }
}

/**
 * Ingest time of one cycle at `guests`: median of writeSnapshot + maintenance over `cycles`
 * (wall clock, and the process CPU time, which is steadier on a busy machine).
 */
export async function measureIngest(guests: number, cycles: number, storeOpts: Parameters<typeof openDatabase>[1] = {}): Promise<{ median: number; p90: number; cpuMedian: number }> {
  const s = await tempStore(storeOpts);
  try {
    let clock = T0 * 1000;
    const m = createMaintenance({ db: s.db, log: silent, now: () => clock, retention: { rawHours: 48, fiveMinuteDays: 30, hourlyDays: 400 } });
    const times: number[] = [];
    const cpu: number[] = [];
    for (let i = -1; i < cycles; i++) {
      const ts = T0 + 600 + i * 60;
      const snap = syntheticSnapshot({ ts, guests, nodes: 20 });
      clock = (ts + 2) * 1000;
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      await writeSnapshot(s.db, snap);
      await m.run();
      const ms = performance.now() - t0;
      const c = process.cpuUsage(c0);
      if (i < 0) continue; // the first cycle inserts 10,000 new guests: not a steady cycle
      times.push(ms);
      cpu.push((c.user + c.system) / 1000);
    }
    const sorted = [...times].sort((a, b) => a - b);
    return { median: median(times), p90: sorted[Math.floor(sorted.length * 0.9)]!, cpuMedian: median(cpu) };
  } finally {
    await s.close();
    rmSync(s.dir, { recursive: true, force: true });
  }
}

const GUEST_1H_INSERT = `insert into guest_samples_1h (cluster_id, vmid, ts, samples, cpu_avg, cpu_max, mem_avg, mem_max, disk_avg, disk_max,
  netin_avg, netin_max, netout_avg, netout_max, diskread_avg, diskread_max, diskwrite_avg, diskwrite_max)
  values (?, ?, ?, 60, ?, ?, ?, ?, 0, 0, ?, ?, ?, ?, ?, ?, ?, ?)`;
const GUEST_5M_INSERT = GUEST_1H_INSERT.replace('guest_samples_1h', 'guest_samples_5m').replace('60, ?', '5, ?');

function tierRow(vmid: number, ts: number): unknown[] {
  const n = noise(vmid, ts);
  const cpu = 0.02 + 0.6 * n * n;
  const mem = Math.round(2 ** 30 * (1 + n));
  return [1, vmid, ts, cpu, Math.min(1, cpu * 1.8), mem, mem + 2 ** 26, Math.round(50_000 * n), Math.round(90_000 * n), Math.round(80_000 * n), Math.round(150_000 * n), Math.round(10_000 * n), Math.round(30_000 * n), Math.round(40_000 * n), Math.round(70_000 * n)];
}

/**
 * Query times at `guests` guests with `days` of hourly history: the 1h tier is generated with raw
 * inserts in one transaction (fast), the inventory and the latest cycle through writeSnapshot.
 */
export async function measureQueries(guests: number, days: number, repeats: number): Promise<{ series: number; overview: number; seriesRows: number; overviewRows: number; fileBytes: number }> {
  const s = await tempStore();
  try {
    const now = T0 + days * 86_400;
    await writeSnapshot(s.db, syntheticSnapshot({ ts: now - 60, guests, nodes: 20, stoppedEvery: 10 }));
    await writeSnapshot(s.db, syntheticSnapshot({ ts: now, guests, nodes: 20, stoppedEvery: 10 }));
    const ins = s.sqlite.prepare(GUEST_1H_INSERT);
    s.sqlite.transaction(() => {
      for (let v = 100; v < 100 + guests; v++) for (let ts = now - days * 86_400; ts < now; ts += 3600) ins.run(tierRow(v, ts));
    })();
    s.sqlite.pragma('wal_checkpoint(TRUNCATE)');
    s.sqlite.pragma('optimize');
    const vmid = 100 + Math.floor(guests / 2);
    // What a guest page asks for: 30 days (or `days`) of hourly CPU, through kysely like the site.
    const series = () =>
      s.db.selectFrom('guest_samples_1h').select(['ts', 'cpu_avg', 'cpu_max'])
        .where('cluster_id', '=', 1).where('vmid', '=', vmid).where('ts', '>=', now - days * 86_400).orderBy('ts').execute();
    // The columns a fleet overview shows (views are not in the kysely row types, hence the cast).
    const overview = () =>
      (s.db as unknown as Kysely<{ v_guest_latest: Record<string, unknown> }>)
        .selectFrom('v_guest_latest')
        .select(['cluster', 'vmid', 'name', 'type', 'node', 'status', 'tags', 'cpu', 'mem', 'maxmem', 'uptime', 'netin_bps', 'netout_bps'])
        .execute();
    const time = async (fn: () => Promise<unknown[]>) => {
      const ts: number[] = [];
      let rows = 0;
      for (let i = 0; i < repeats + 1; i++) {
        const t0 = performance.now();
        rows = (await fn()).length;
        if (i > 0) ts.push(performance.now() - t0); // first run warms the page cache
      }
      return { ms: median(ts), rows };
    };
    const a = await time(series);
    const b = await time(overview);
    return { series: a.ms, seriesRows: a.rows, overview: b.ms, overviewRows: b.rows, fileBytes: statSync(s.file).size };
  } finally {
    await s.close();
    rmSync(s.dir, { recursive: true, force: true });
  }
}

/**
 * Maintenance time of one full rollup window (2 h) at `guests` guests, raw rows generated by
 * direct inserts: the longest single run (a slice of ≤ 2,000 series) and the total.
 */
export async function measureRollupWindow(guests: number): Promise<{ maxRunMs: number; totalMs: number; runs: number }> {
  const s = await tempStore();
  try {
    const snap = syntheticSnapshot({ ts: T0, guests, nodes: 20 });
    await writeSnapshot(s.db, snap);
    const sampled = snap.guests.filter((g) => g.status !== 'stopped' && !g.template).map((g) => g.vmid);
    const ins = s.sqlite.prepare('insert or ignore into guest_samples (ts, cluster_id, vmid, uptime, cpu, mem, memhost, disk, netin_bps, netout_bps, diskread_bps, diskwrite_bps) values (?, 1, ?, 1000, ?, ?, ?, 0, ?, ?, ?, ?)');
    s.sqlite.transaction(() => {
      for (let ts = T0; ts < T0 + 7200; ts += 60) for (const v of sampled) { const n = noise(v, ts); ins.run(ts, v, n, 2 ** 30, 2 ** 30, 1000 * n, 2000 * n, 10, 20); }
    })();
    s.sqlite.pragma('wal_checkpoint(TRUNCATE)');
    const clock = (T0 + 7200 + 120) * 1000;
    const m = createMaintenance({ db: s.db, log: silent, now: () => clock, retention: { rawHours: 48, fiveMinuteDays: 30, hourlyDays: 400 } });
    let maxRunMs = 0;
    let totalMs = 0;
    for (let runs = 0; runs < 100; runs++) {
      const t0 = performance.now();
      const sum = await m.run();
      const ms = performance.now() - t0;
      maxRunMs = Math.max(maxRunMs, ms);
      totalMs += ms;
      if (sum.windows.guest > 0) return { maxRunMs, totalMs, runs: runs + 1 };
    }
    throw new Error('the rollup window did not complete in 100 maintenance runs');
  } finally {
    await s.close();
    rmSync(s.dir, { recursive: true, force: true });
  }
}

/**
 * Steady-state size: builds each guest table at `guests` guests over its full retention in the
 * order the agent writes it (raw: time-major appends; 5m: 24 rows per guest every 2 h; 1h:
 * 2 rows per guest every 2 h), so page splits and fill factors are the real ones, then reads the
 * bytes per table from dbstat and scales to 1,000 guests. Assumes every guest runs all the time
 * (stopped guests and templates write no samples), so it is an upper bound for the guest part;
 * nodes and storages add little and scale with nodes, not guests.
 */
export async function measureSteadySize(guests: number, retention = { rawHours: 48, fiveMinuteDays: 30, hourlyDays: 400 }): Promise<{ per1000: number; byTable: Record<string, number> }> {
  const s = await tempStore();
  try {
    const end = T0 + 500 * 86_400;
    const rawIns = s.sqlite.prepare('insert into guest_samples (ts, cluster_id, vmid, uptime, cpu, mem, memhost, disk, netin_bps, netout_bps, diskread_bps, diskwrite_bps) values (?, 1, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?)');
    const ins5 = s.sqlite.prepare(GUEST_5M_INSERT);
    const ins1 = s.sqlite.prepare(GUEST_1H_INSERT);
    const window = 7200;
    s.sqlite.transaction(() => {
      for (let w = end - retention.hourlyDays * 86_400; w < end; w += window) {
        for (let v = 100; v < 100 + guests; v++) {
          for (let t = w; t < w + window; t += 3600) ins1.run(tierRow(v, t));
          if (w >= end - retention.fiveMinuteDays * 86_400) for (let t = w; t < w + window; t += 300) ins5.run(tierRow(v, t));
        }
      }
      for (let t = end - retention.rawHours * 3600; t < end; t += 60) {
        for (let v = 100; v < 100 + guests; v++) {
          const n = noise(v, t);
          rawIns.run(t, v, 86_400 + t - T0, 0.02 + 0.6 * n * n, Math.round(2 ** 30 * (1 + n)), Math.round(2 ** 30 * (1.2 + n)), Math.round(50_000 * n), Math.round(80_000 * n), Math.round(10_000 * n), Math.round(40_000 * n));
        }
      }
    })();
    const rows = s.sqlite.prepare("select name, sum(pgsize) bytes from dbstat where name in ('guest_samples', 'guest_samples_5m', 'guest_samples_1h') group by name").all() as Array<{ name: string; bytes: number }>;
    const byTable = Object.fromEntries(rows.map((r) => [r.name, Math.round((r.bytes * 1000) / guests)]));
    return { per1000: Object.values(byTable).reduce((a, b) => a + b, 0), byTable };
  } finally {
    await s.close();
    rmSync(s.dir, { recursive: true, force: true });
  }
}

/** The store benchmark for `npm run bench -- --only store`. */
export async function run(opts: { quick?: boolean; log: (line: string) => void }): Promise<StoreBenchResult> {
  const quick = opts.quick ?? false;
  const log = opts.log;
  const notes: string[] = [];
  const details: Record<string, number | string> = {};

  log('ingest of a 10,000-guest cycle (writeSnapshot + maintenance)…');
  const ingest = await measureIngest(10_000, quick ? 5 : 12);
  details.ingestP90Ms = round(ingest.p90);
  details.ingestCpuMsPerCycle = round(ingest.cpuMedian);
  notes.push('ingestMsPerCycle: median wall time over steady cycles of writeSnapshot + maintenance.run() for 10,000 guests (20 nodes, 80 storages) on a temp file in WAL mode (ingestCpuMsPerCycle: the process CPU time of the same, steadier when other work shares the cores); the maintenance runs that roll up a 2-hour window are measured separately (rollup*).');

  log('maintenance of one 2-hour rollup window at 10,000 guests…');
  const rw = await measureRollupWindow(quick ? 4000 : 10_000);
  details.rollupLongestRunMs = round(rw.maxRunMs);
  details.rollupWindowTotalMs = round(rw.totalMs);
  details.rollupRunsPerWindow = rw.runs;
  if (quick) details.rollupNote = 'quick: measured at 4,000 guests';

  const days = quick ? 7 : 30;
  log(`queries at 10,000 guests × ${days} days of hourly history…`);
  const qy = await measureQueries(10_000, days, quick ? 5 : 20);
  details.guestSeriesRows = qy.seriesRows;
  details.fleetOverviewRows = qy.overviewRows;
  details.queryDbFileBytes = qy.fileBytes;
  notes.push(`guestSeriesQueryMs: median of ${quick ? 5 : 20} runs of "${days} days of hourly CPU for one guest" (kysely select on guest_samples_1h, guest-major key) at 10,000 guests; fleetOverviewQueryMs: median of the same number of runs of the overview columns (cluster, vmid, name, type, node, status, tags, cpu, mem, maxmem, uptime, netin/netout) of v_guest_latest, 10,000 rows, through kysely.`);

  log('bytes written per day at 1,000 guests, 60 s interval…');
  const wv = await measureWriteVolume({ guests: 1000, hours: quick ? 2 : 4 });
  details.writeSpanBytes = wv.spanBytes;
  details.dailyTierPruneBytes = wv.tierPruneBytes;
  details.walMaxBytes = wv.walMax;
  notes.push(`dbBytesWrittenPerDayPer1000Guests: /proc/self/io wchar delta (every byte handed to write(2): WAL frames and checkpoint copies into the database file) over ${quick ? 2 : 4} simulated hours of 60 s cycles with maintenance (incl. rollup windows and raw pruning), ending with a full checkpoint, scaled to 24 h; plus one measured daily tier-pruning pass.`);

  log('steady-state size per 1,000 guests…');
  const size = quick ? await measureSteadySize(20) : await measureSteadySize(50);
  for (const [t, b] of Object.entries(size.byTable)) details[`steadyBytesPer1000Guests_${t}`] = b;
  notes.push(`dbSizeBytesPer1000Guests: guest tables built over full retention (raw 48 h, 5m 30 d, 1h 400 d) in the agent's write order at ${quick ? 20 : 50} guests, bytes from dbstat, scaled to 1,000 guests; every guest running (upper bound).`);

  return {
    ingestMsPerCycle: round(ingest.median),
    guestSeriesQueryMs: round(qy.series, 3),
    fleetOverviewQueryMs: round(qy.overview),
    dbBytesWrittenPerDayPer1000Guests: Math.round(wv.perDay),
    dbSizeBytesPer1000Guests: size.per1000,
    details,
    notes,
  };
}

/** Human table of a store result. */
export function table(r: StoreBenchResult): string {
  const mb = (b: number) => `${(b / 1e6).toFixed(1)} MB`;
  const rows: Array<[string, string, string]> = [
    ['ingest, one 10,000-guest cycle', `${r.ingestMsPerCycle} ms`, '≤ 100 ms'],
    ['30 d hourly CPU, one guest (10,000 guests)', `${r.guestSeriesQueryMs} ms`, '≤ 5 ms'],
    ['latest state of all 10,000 guests', `${r.fleetOverviewQueryMs} ms`, '≤ 50 ms'],
    ['bytes written per day per 1,000 guests', mb(r.dbBytesWrittenPerDayPer1000Guests), '≤ 500 MB'],
    ['steady-state size per 1,000 guests', mb(r.dbSizeBytesPer1000Guests), '—'],
  ];
  const w0 = Math.max(...rows.map((x) => x[0].length));
  const w1 = Math.max(...rows.map((x) => x[1].length));
  const lines = rows.map(([a, b, c]) => `${a.padEnd(w0)}  ${b.padStart(w1)}  (${c})`);
  for (const [k, v] of Object.entries(r.details)) lines.push(`  ${k}: ${v}`);
  return ['store', ...lines].join('\n');
}
