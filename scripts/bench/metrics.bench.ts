// The OpenMetrics file at 10,000 guests (issue 17 §5): how long the agent's metrics stage takes
// (build the text from the cycle's snapshots + atomic replace of the file) and how big the file
// is. 50 clusters × 3 nodes × 200 guests, like the poll bench; cumulative counters filled in,
// every 20th guest HA-managed and every 100th locked, as a busy fleet would be. The file goes to
// a tmpfs (/dev/shm) as in production (/run), so the write is memory, not disk.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../../agent/log/logger.ts';
import { createMetricsExporter, nodeProcessStats, type CycleReport } from '../../agent/metrics/metrics-exporter.ts';
import type { PollResult } from '../../agent/poll/poll-cycle.ts';
import { syntheticSnapshot } from './store-synthetic.ts';

export interface MetricsBenchResult {
  guests: number;
  clusters: number;
  cycles: number;
  /** Median of the metrics stage (build + write), ms. */
  metricsFileMs: number;
  metricsFileMsP90: number;
  /** Median CPU time of the stage (user + system), ms: steadier than wall time on a shared machine. */
  metricsFileCpuMs: number;
  metricsFileBytes: number;
  /** Sample lines in the file (series Prometheus ingests per scrape). */
  series: number;
  fileSystem: string;
  targets: Record<string, never>;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const p90 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * 0.9))]!;

function outcomes(clusters: number, perCluster: number, ts: number): PollResult[] {
  return Array.from({ length: clusters }, (_, c) => {
    const s = syntheticSnapshot({ cluster: `c${String(c + 1).padStart(2, '0')}`, ts, guests: perCluster, nodes: 3, firstVmid: 100 + c * perCluster });
    s.guests.forEach((g, i) => {
      const run = g.status === 'running';
      g.counters = { netin: run ? 1e9 + i * 7919 : 0, netout: run ? 2e9 + i * 104729 : 0, diskread: run ? 5e9 + i : 0, diskwrite: run ? 3e9 + i * 31 : 0 };
      if (i % 20 === 0) g.hastate = run ? 'started' : 'stopped';
      if (i % 100 === 7) g.lock = 'backup';
    });
    return { cluster: s.cluster, ok: true, snapshot: s, durationMs: 300, requests: 7, errors: 0, endpoint: s.endpoint, startedAt: ts * 1000, warnings: [] };
  });
}

/** Runs the exporter for `cycles` cycles over 10,000 guests (1,000 with --quick). */
export async function run(opts: { quick?: boolean; log: (line: string) => void }): Promise<MetricsBenchResult> {
  const clusters = 50;
  const guests = opts.quick ? 1000 : 10_000;
  const cycles = opts.quick ? 5 : 15;
  const shm = existsSync('/dev/shm') ? '/dev/shm' : tmpdir();
  const dir = mkdtempSync(join(shm, 'pmi-metrics-bench-'));
  const file = join(dir, 'metrics');
  let now = 1_765_000_000_000;
  const exporter = createMetricsExporter({ file, log: createLogger({ level: 'silent' }), now: () => now, removeOnStop: true, processStats: () => nodeProcessStats() });
  exporter.start();
  const times: number[] = [];
  const cpu: number[] = [];
  let bytes = 0;
  let series = 0;
  try {
    for (let i = 0; i <= cycles; i++) {
      now += 60_000;
      const report: CycleReport = { outcomes: outcomes(clusters, guests / clusters, Math.floor(now / 1000)), durationMs: 1000, stagesMs: { poll: 500, store: 200, site: 300 }, failedStages: [] };
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      const r = await exporter.record(report);
      const ms = performance.now() - t0;
      const c = process.cpuUsage(c0);
      if (!r) throw new Error(`the metrics file could not be written to ${file}`);
      bytes = r.bytes;
      // The first cycle warms the JIT; it is not in the median.
      if (i > 0) {
        times.push(ms);
        cpu.push((c.user + c.system) / 1000);
      }
    }
    series = readFileSync(file, 'utf8').split('\n').filter((l) => l && !l.startsWith('#')).length;
  } finally {
    await exporter.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  const result: MetricsBenchResult = {
    guests, clusters, cycles,
    metricsFileMs: Math.round(median(times) * 10) / 10,
    metricsFileMsP90: Math.round(p90(times) * 10) / 10,
    metricsFileCpuMs: Math.round(median(cpu) * 10) / 10,
    metricsFileBytes: bytes,
    series,
    fileSystem: shm === '/dev/shm' ? 'tmpfs (/dev/shm)' : tmpdir(),
    targets: {},
  };
  opts.log(`${guests} guests: ${result.metricsFileMs} ms median, ${bytes} bytes, ${series} series`);
  return result;
}

/** The human table for the metrics figures. */
export function table(result: unknown): string {
  const r = result as MetricsBenchResult;
  return [
    `${r.guests} guests in ${r.clusters} clusters, ${r.cycles} cycles (median after one warm-up), file on ${r.fileSystem}`,
    '| measure | value |',
    '|---|---|',
    `| metricsFileMs (build + atomic write, median) | ${r.metricsFileMs} |`,
    `| metricsFileMs p90 | ${r.metricsFileMsP90} |`,
    `| CPU ms (user + system, median) | ${r.metricsFileCpuMs} |`,
    `| metricsFileBytes | ${r.metricsFileBytes} (${(r.metricsFileBytes / 2 ** 20).toFixed(1)} MiB) |`,
    `| series per scrape | ${r.series} |`,
  ].join('\n');
}
