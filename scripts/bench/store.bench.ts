// Store benchmark (issue 4 §7): ingest time, query times and disk write volume, measured on temp
// database files. Nothing here is typed in: every figure comes from a run.
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

/** Ingest time of one cycle at `guests`: median of writeSnapshot + maintenance over `cycles`. */
export async function measureIngest(guests: number, cycles: number): Promise<{ median: number; p90: number; rollupWindowMs: number }> {
  const s = await tempStore();
  try {
    let clock = T0 * 1000;
    const m = createMaintenance({ db: s.db, log: silent, now: () => clock, retention: { rawHours: 48, fiveMinuteDays: 30, hourlyDays: 400 } });
    const times: number[] = [];
    // Start 3 minutes before an hour boundary so the run includes one hourly rollup cycle.
    const start = T0 + 3600 - 3 * 60 - cycles * 60;
    let rollupWindowMs = 0;
    for (let i = -1; i < cycles + 5; i++) {
      const ts = start + i * 60;
      const snap = syntheticSnapshot({ ts, guests, nodes: 20 });
      clock = (ts + 2) * 1000;
      const t0 = performance.now();
      await writeSnapshot(s.db, snap);
      const sum = await m.run();
      const ms = performance.now() - t0;
      if (sum.windows.guest > 0) rollupWindowMs = Math.max(rollupWindowMs, ms);
      else if (i >= 0) times.push(ms);
    }
    const sorted = [...times].sort((a, b) => a - b);
    return { median: median(times), p90: sorted[Math.floor(sorted.length * 0.9)]!, rollupWindowMs };
  } finally {
    await s.close();
    rmSync(s.dir, { recursive: true, force: true });
  }
}
