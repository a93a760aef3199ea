// The long-lived part behind the OpenMetrics file: it keeps the counters that live across
// cycles (cycles, poll requests/errors/failures, last success per cluster), and at the end of
// each cycle builds the text from that cycle's snapshots and replaces the file atomically.
//
// Why the snapshots and not the store: at the end of a cycle the poller's snapshots already hold
// every current value, typed and in our units; building the text from them is string work only
// (see `npm run bench -- --only metrics`), while reading the same from SQLite would re-query
// 10,000 guests and their latest samples every cycle (the store bench's "latest state of all
// guests" alone is ~50 ms at 10,000), and would export a failed cluster's last
// stored values as if they were current. A cluster that failed this cycle exports no pve_* series
// (Prometheus marks them stale) and says so in pmi_cluster_poll_up.
import type { Logger } from '../log/logger.ts';
import type { ClusterSnapshot } from '../poll/cluster-snapshot.ts';
import type { PollResult } from '../poll/poll-cycle.ts';
import { errorMessage } from '../errors.ts';
import { writeFleetMetrics, type ClusterPollHealth, type FleetMetricsInput, type ProcessStats } from './build-fleet-metrics.ts';
import { removeMetricsFile, replaceFileAtomic } from './metrics-file.ts';

/** What the cycle hands over once its other stages are done. */
export interface CycleReport {
  outcomes: readonly PollResult[];
  /** Duration so far (every stage but this one), ms. */
  durationMs: number;
  stagesMs: Readonly<Record<string, number>>;
  failedStages: readonly string[];
}

export interface MetricsExporterDeps {
  /** The file nginx serves at /metrics. */
  file: string;
  log: Logger;
  /** Epoch ms. */
  now: () => number;
  /** Remove the file on stop, so a stopped agent shows as a failed scrape, not as frozen values. */
  removeOnStop: boolean;
  processStats?: () => ProcessStats;
  /** The file writes; replaced in tests. */
  replace?: typeof replaceFileAtomic;
  remove?: (file: string) => Promise<void>;
}

export interface MetricsExporter {
  start(): void;
  /** Builds and writes this cycle's file. Never throws: a failed write is logged, the cycle goes on. */
  record(report: CycleReport): Promise<{ bytes: number } | undefined>;
  stop(): Promise<void>;
}

/** The Node process's own figures in Prometheus's standard process_* terms. */
export function nodeProcessStats(now: () => number = Date.now): ProcessStats {
  const cpu = process.cpuUsage();
  return {
    startTimeSeconds: Math.round((now() / 1000 - process.uptime()) * 1000) / 1000,
    residentMemoryBytes: process.memoryUsage.rss(),
    cpuSecondsTotal: (cpu.user + cpu.system) / 1e6,
  };
}

/** Creates the exporter; nothing is written before the first record(). */
export function createMetricsExporter(deps: MetricsExporterDeps): MetricsExporter {
  const replace = deps.replace ?? replaceFileAtomic;
  const remove = deps.remove ?? removeMetricsFile;
  const clusters = new Map<string, ClusterPollHealth>();
  const stageFailures: Record<string, number> = {};
  let cycles = 0;
  let running = false;
  let wrote = false;
  let lastProblem: string | undefined;

  function account(outcomes: readonly PollResult[]): void {
    for (const o of outcomes) {
      const c = clusters.get(o.cluster) ?? { cluster: o.cluster, up: false, durationMs: 0, lastSuccessTs: null, requestsTotal: 0, errorsTotal: 0, failuresTotal: 0 };
      c.up = o.ok;
      c.durationMs = o.durationMs;
      c.requestsTotal += o.requests;
      c.errorsTotal += o.errors;
      if (o.ok) c.lastSuccessTs = Math.floor(o.startedAt / 1000);
      else c.failuresTotal++;
      clusters.set(o.cluster, c);
    }
  }

  return {
    start() {
      running = true;
    },
    async record(report) {
      if (!running) return undefined;
      cycles++;
      account(report.outcomes);
      for (const s of report.failedStages) stageFailures[s] = (stageFailures[s] ?? 0) + 1;
      const snapshots = report.outcomes.flatMap((o): ClusterSnapshot[] => (o.ok && o.snapshot ? [o.snapshot] : []));
      const input: FleetMetricsInput = {
        snapshots,
        clusters: [...clusters.values()],
        agent: {
          cycleDurationMs: report.durationMs,
          lastCycleTs: Math.floor(deps.now() / 1000),
          cyclesTotal: cycles,
          stageDurationsMs: report.stagesMs,
          stageFailuresTotal: stageFailures,
          ...(deps.processStats && { process: deps.processStats() }),
        },
      };
      try {
        // Built chunk by chunk straight into the temp file: memory stays flat whatever the fleet's size.
        const bytes = replace(deps.file, (write) => writeFleetMetrics(input, write));
        wrote = true;
        if (lastProblem) deps.log.info({ file: deps.file }, 'metrics file written again');
        lastProblem = undefined;
        return { bytes };
      } catch (err) {
        // Logged once per distinct problem, not every cycle: a missing /run/pmi-agent on a
        // development machine must not flood the log.
        const code = (err as NodeJS.ErrnoException).code;
        const problem = code ?? errorMessage(err);
        if (problem !== lastProblem) {
          const hint = code === 'ENOENT' ? ' (its directory does not exist: systemd/pmi-agent.tmpfiles.conf creates /run/pmi-agent; or set metrics.file, or metrics.enabled false)' : '';
          deps.log.warn({ err, file: deps.file }, `cannot write the metrics file ${deps.file}: ${errorMessage(err)}${hint}`);
        }
        lastProblem = problem;
        return undefined;
      }
    },
    async stop() {
      running = false;
      if (!deps.removeOnStop || !wrote) return;
      await remove(deps.file).catch((err: unknown) => deps.log.warn({ err, file: deps.file }, `cannot remove the metrics file: ${errorMessage(err)}`));
    },
  };
}
