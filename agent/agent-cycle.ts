import type { Logger } from './log/logger.ts';
import type { ClusterSnapshot } from './poll/cluster-snapshot.ts';
import type { PollResult } from './poll/poll-cycle.ts';
import { errorMessage } from './errors.ts';
import { mapPool } from './poll/promise-pool.ts';
import type { CycleReport } from './metrics/metrics-exporter.ts';

/** What the poller reports per cluster. */
export type ClusterPollOutcome = PollResult;

export interface CycleParts {
  log: Logger;
  now: () => number;
  poll: () => Promise<ClusterPollOutcome[]>;
  /**
   * Stores one cluster's snapshot in one transaction. It is given the cluster's poll run too and
   * may write it in the same statement (PostgreSQL): it then resolves true.
   */
  store: (snapshot: ClusterSnapshot, run: ClusterPollOutcome, startedAtSec: number) => Promise<boolean | void>;
  /** Records the cluster's poll run (`written`: store already wrote the run row; what else belongs to the run is still recorded). */
  recordRun: (run: ClusterPollOutcome, startedAtSec: number, written: boolean) => Promise<void>;
  /**
   * Clusters stored at once (default 1). PostgreSQL: each on its own pooled connection, so one
   * cluster's round trip overlaps another's; SQLite has one writer and stays at 1. A cluster's
   * snapshot and its run are always written in that order.
   */
  storeConcurrency?: number;
  /** Health tiers (issue #15): slower reads spread over cycles, after the store. */
  health?: (outcomes: ClusterPollOutcome[]) => Promise<unknown>;
  /** issue 14 item 5 (pages): guests' snapshot lists, about daily and right after a snapshot task. */
  snapshots?: (outcomes: ClusterPollOutcome[]) => Promise<unknown>;
  /** Gap filling after restarts and for new clusters; must be cheap when there is nothing to do. */
  backfill?: (outcomes: ClusterPollOutcome[]) => Promise<unknown>;
  /**
   * Several agents on one database (#17 item 5): before the fleet duties (maintain, alerts, site)
   * the site holder waits, bounded, for the other agents' stores of this interval (fleet/fleet-cycle.ts);
   * resolves at once for everyone else. Given the cycle's start (epoch ms).
   */
  fleetCycle?: (cycleStartMs: number) => Promise<unknown>;
  maintain: () => Promise<unknown>;
  rescanInbox?: () => Promise<void>;
  /** Alert rules over what was just stored (#16). */
  alerts?: () => Promise<unknown>;
  site: { record(snapshots: ClusterSnapshot[]): void; build(): Promise<unknown> };
  /** The OpenMetrics file, written last from this cycle's outcomes (metrics/metrics-exporter.ts). */
  metrics?: { record(report: CycleReport): Promise<unknown> };
  /** True once a stop was requested: network stages (backfill) are skipped, local ones finish. */
  stopping?: () => boolean;
}

export interface CycleSummary {
  ms: number;
  clusters: number;
  failed: number;
  guests: number;
  stages: Record<string, number>;
  /** Stages that failed this cycle (their error is logged). */
  failedStages: string[];
}

/**
 * One agent cycle: poll every cluster, store each cluster in its own transaction, fill gaps,
 * roll up and prune, pick up inbox files, then publish the site. A failing stage is logged and
 * the next stages still run: a broken store must not stop the site from saying so, and the
 * other way round.
 */
export async function runCycle(p: CycleParts): Promise<CycleSummary> {
  const t0 = p.now();
  const startedAtSec = Math.floor(t0 / 1000);
  const stages: Record<string, number> = {};
  const failedStages: string[] = [];
  const time = async <T>(name: string, fn: () => Promise<T>): Promise<T | undefined> => {
    const s = p.now();
    try {
      return await fn();
    } catch (err) {
      p.log.error({ err, stage: name }, `cycle stage ${name} failed: ${errorMessage(err)}`);
      failedStages.push(name);
      return undefined;
    } finally {
      stages[name] = p.now() - s;
    }
  };

  const outcomes = (await time('poll', p.poll)) ?? [];
  const snapshots: ClusterSnapshot[] = [];
  await time('store', async () => {
    // clusters side by side where the store allows it (PostgreSQL); after a failure none is started
    let failure: { err: unknown } | undefined;
    const stored = await mapPool(outcomes, p.storeConcurrency ?? 1, async (o) => {
      if (failure) return undefined;
      let ok = false;
      let runWritten = false;
      try {
        if (o.snapshot) {
          try {
            runWritten = (await p.store(o.snapshot, o, startedAtSec)) === true;
            ok = true;
          } catch (err) {
            p.log.error({ err, cluster: o.cluster }, `storing cluster ${o.cluster} failed: ${errorMessage(err)}`);
            if (!failedStages.includes('store')) failedStages.push('store');
          }
        }
        await p.recordRun(o, startedAtSec, runWritten);
      } catch (err) {
        failure ??= { err };
      }
      return ok ? o.snapshot : undefined;
    });
    for (const s of stored) if (s) snapshots.push(s);
    if (failure) throw failure.err;
  });
  if (p.health && !p.stopping?.()) await time('health', () => p.health!(outcomes));
  if (p.snapshots && !p.stopping?.()) await time('snapshots', () => p.snapshots!(outcomes)); // issue 14 item 5 (pages)
  if (p.backfill && !p.stopping?.()) await time('backfill', () => p.backfill!(outcomes));
  if (p.fleetCycle) await time('fleetWait', () => p.fleetCycle!(t0));
  await time('maintain', p.maintain);
  if (p.rescanInbox) await time('inbox', p.rescanInbox);
  if (p.alerts) await time('alerts', p.alerts);
  await time('site', async () => {
    p.site.record(snapshots);
    await p.site.build();
  });

  if (p.metrics) {
    const report: CycleReport = { outcomes, durationMs: p.now() - t0, stagesMs: { ...stages }, failedStages: [...failedStages] };
    await time('metrics', () => p.metrics!.record(report));
  }

  const summary: CycleSummary = {
    ms: p.now() - t0,
    clusters: outcomes.length,
    failed: outcomes.filter((o) => !o.ok).length,
    guests: snapshots.reduce((n, s) => n + s.guests.length, 0),
    stages,
    failedStages,
  };
  p.log.info(summary, 'cycle done');
  return summary;
}
