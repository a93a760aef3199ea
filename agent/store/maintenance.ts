// Per-cycle housekeeping: incremental rollups (raw → 5m and 1h) and retention, both bounded.
import type SqliteDatabase from 'better-sqlite3';
import type { Kysely } from 'kysely';
import type { Logger } from '../log/logger.ts';
import type { Database } from './schema.ts';
import { getStateNumber, setState } from './agent-state.repository.ts';
import { pruneRaw, pruneSmall, pruneTierStep, seriesKeys } from './prune.ts';
import { prunePollErrors } from './poll-errors.repository.ts';
import { prunePressure } from './pressure.repository.ts';
import { ROLLUPS, rollupWindow, type RollupKind, type Tier } from './rollup.ts';
import { isPostgres } from './pg-dialect.ts';
import { AHEAD_SECONDS, dropPartitionsBefore, ensurePartitions } from './pg-partitions.ts';
import { sql } from 'kysely';

export interface RetentionSettings {
  rawHours: number;
  fiveMinuteDays: number;
  hourlyDays: number;
  /** poll_runs history; default 30 days. */
  pollRunsDays?: number;
  /** tasks, by start time; default hourlyDays. */
  taskDays?: number;
}

export interface MaintenanceOptions {
  /** Raw rows are rolled up in aligned windows of this many seconds (a multiple of 3600). */
  windowSeconds: number;
  /** A window is rolled up once its end is this many seconds in the past (late writes). */
  graceSeconds: number;
  /** Windows rolled up per kind per run(); a backlog catches up over later cycles. */
  maxWindowsPerRun: number;
  /** Raw pruning deletes at most this much time per kind per run(). */
  rawPruneSpanSeconds: number;
  /** Raw pruning waits until this much expired time piled up, then deletes it in one go (fewer commits). */
  rawPruneSlackSeconds: number;
  /** Rollup slices and tier pruning visit this many series (guests, nodes, storages) per run(). */
  pruneSeriesPerRun: number;
  /** A tier pruning pass starts this often (the tiers are guest-major: pruning touches a page per guest). */
  tierPruneEverySeconds: number;
  /** Rows of poll_runs / tasks / guest_status_changes deleted per run(). */
  smallPruneLimit: number;
}

export const DEFAULT_MAINTENANCE: MaintenanceOptions = {
  // 2 h: one write of each guest's 5m page per 2 h instead of per hour (−15 % bytes written at
  // 1,000 guests, measured by scripts/bench/store.bench.ts); raw holds the newest 48 h anyway.
  windowSeconds: 7200,
  graceSeconds: 90,
  maxWindowsPerRun: 1,
  rawPruneSpanSeconds: 900,
  rawPruneSlackSeconds: 1800,
  pruneSeriesPerRun: 2000,
  tierPruneEverySeconds: 86_400,
  smallPruneLimit: 2000,
};

export interface MaintenanceDeps {
  db: Kysely<Database>;
  /** Raw handle, used only for `PRAGMA optimize` after a rollup (SQLite-only). */
  sqlite?: SqliteDatabase.Database;
  log: Logger;
  /** Clock in epoch milliseconds. */
  now: () => number;
  retention: RetentionSettings;
  options?: Partial<MaintenanceOptions>;
}

export interface MaintenanceSummary {
  ms: number;
  /** Aligned windows rolled up per kind in this run. */
  windows: Record<RollupKind, number>;
  /** Tier rows written (inserted or replaced). */
  rolledUp: Record<`${RollupKind}_${Tier}`, number>;
  /** Rows deleted per table. */
  pruned: Record<string, number>;
}

const KINDS: RollupKind[] = ['guest', 'node', 'storage'];
const TIERS: Tier[] = ['5m', '1h'];

/** The agent_state key of a kind's rollup watermark: raw rows with ts < value are rolled up. */
export const rollupWatermarkKey = (kind: RollupKind): string => `rollup.${kind}.until`;

/**
 * Creates the maintenance step the agent runs once per cycle: it rolls up at most
 * `maxWindowsPerRun` complete windows per kind and prunes in bounded batches, so one call stays
 * short even with a backlog. Watermarks live in agent_state, so restarts resume where they were.
 */
export function createMaintenance(deps: MaintenanceDeps): { run(): Promise<MaintenanceSummary> } {
  const o = { ...DEFAULT_MAINTENANCE, ...deps.options };
  if (o.windowSeconds % 3600 !== 0) throw new Error('maintenance windowSeconds must be a multiple of 3600 (whole 1-hour buckets)');
  const { db, log } = deps;
  // PostgreSQL (#17): sample tables are time-partitioned; pruning drops whole partitions
  // (pg-partitions.ts) instead of deleting rows, and partitions are created a week ahead.
  const partitioned = isPostgres(db);
  let partitionsUntil = 0;

  async function prunePartitions(kind: RollupKind, rawCutoff: number, nowSec: number, s: MaintenanceSummary): Promise<void> {
    const raw = ROLLUPS[kind].raw;
    s.pruned[raw] = (await dropPartitionsBefore(db, raw, rawCutoff)).rows;
    for (const tier of TIERS) {
      const days = tier === '5m' ? deps.retention.fiveMinuteDays : deps.retention.hourlyDays;
      s.pruned[`${raw}_${tier}`] = (await dropPartitionsBefore(db, `${raw}_${tier}`, nowSec - days * 86_400)).rows;
    }
  }

  async function rollupKind(kind: RollupKind, nowSec: number, s: MaintenanceSummary): Promise<number | undefined> {
    const key = rollupWatermarkKey(kind);
    const w = o.windowSeconds;
    const complete = Math.floor((nowSec - o.graceSeconds) / w) * w;
    let mark = await getStateNumber(db, key);
    for (let i = 0; i < o.maxWindowsPerRun; i++) {
      // Skip empty stretches (agent down, new install) straight to the next raw row.
      const { rows } = await sql<{ ts: number | null }>`select min(ts) as ts from ${sql.table(ROLLUPS[kind].raw)}
        where ts >= ${mark ?? 0}`.execute(db);
      const next = rows[0]?.ts;
      if (next == null) break;
      const from = Math.max(mark ?? 0, Math.floor(next / w) * w);
      if (from + w > complete) {
        mark = mark ?? from;
        break;
      }
      // A window is rolled in slices of `pruneSeriesPerRun` series, one slice per run, so the
      // heaviest run stays bounded at any fleet size; the watermark moves when the last is done.
      const sliceKey = `rollup.${kind}.slice`;
      const sliceRow = await db.selectFrom('agent_state').select('value').where('key', '=', sliceKey).executeTakeFirst();
      const after = sliceRow?.value ? (JSON.parse(sliceRow.value) as Array<string | number>) : undefined;
      const series = await seriesKeys(db, kind, sliceRow?.value || undefined, o.pruneSeriesPerRun);
      const last = series.length === o.pruneSeriesPerRun ? series.at(-1) : undefined;
      const upTo = last ? ROLLUPS[kind].keys.map((k) => last[k]!) : undefined;
      const written = await db.transaction().execute(async (trx) => {
        const r = await rollupWindow(trx, kind, from, from + w, { ...(after && { after }), ...(upTo && { upTo }) });
        if (upTo) await setState(trx, sliceKey, JSON.stringify(upTo), nowSec);
        else {
          await setState(trx, sliceKey, '', nowSec);
          await setState(trx, key, from + w, nowSec);
        }
        return r;
      });
      s.rolledUp[`${kind}_5m`] += written['5m'];
      s.rolledUp[`${kind}_1h`] += written['1h'];
      if (upTo) {
        mark = mark ?? from;
        break;
      }
      s.windows[kind]++;
      mark = from + w;
    }
    return mark;
  }

  async function pruneTiers(kind: RollupKind, nowSec: number, s: MaintenanceSummary): Promise<void> {
    for (const tier of TIERS) {
      const days = tier === '5m' ? deps.retention.fiveMinuteDays : deps.retention.hourlyDays;
      const nextKey = `prune.${kind}.${tier}.next`;
      const cursorKey = `prune.${kind}.${tier}.cursor`;
      const cursorRow = await db.selectFrom('agent_state').select('value').where('key', '=', cursorKey).executeTakeFirst();
      const cursor = cursorRow?.value || undefined;
      const next = (await getStateNumber(db, nextKey)) ?? 0;
      if (cursor === undefined && next > nowSec) continue;
      const step = await pruneTierStep(db, kind, tier, nowSec - days * 86_400, cursor, o.pruneSeriesPerRun);
      s.pruned[`${ROLLUPS[kind].raw}_${tier}`] = (s.pruned[`${ROLLUPS[kind].raw}_${tier}`] ?? 0) + step.deleted;
      await setState(db, cursorKey, step.cursor ?? '', nowSec);
      if (step.cursor === undefined) await setState(db, nextKey, nowSec + o.tierPruneEverySeconds, nowSec);
    }
  }

  return {
    async run() {
      const t0 = deps.now();
      const nowSec = Math.floor(t0 / 1000);
      const s: MaintenanceSummary = {
        ms: 0,
        windows: { guest: 0, node: 0, storage: 0 },
        rolledUp: { guest_5m: 0, guest_1h: 0, node_5m: 0, node_1h: 0, storage_5m: 0, storage_1h: 0 },
        pruned: {},
      };
      if (partitioned && nowSec + AHEAD_SECONDS / 2 > partitionsUntil) {
        await ensurePartitions(db, nowSec - 86_400, nowSec + AHEAD_SECONDS);
        partitionsUntil = nowSec + AHEAD_SECONDS;
      }
      for (const kind of KINDS) {
        const mark = await rollupKind(kind, nowSec, s);
        // Never prune raw rows that are not rolled up yet.
        const rawCutoff = Math.min(nowSec - deps.retention.rawHours * 3600, mark ?? 0);
        if (partitioned) {
          await prunePartitions(kind, rawCutoff, nowSec, s);
          continue;
        }
        s.pruned[ROLLUPS[kind].raw] = await pruneRaw(db, kind, rawCutoff, o.rawPruneSpanSeconds, o.rawPruneSlackSeconds);
        await pruneTiers(kind, nowSec, s);
      }
      s.pruned.poll_runs = await pruneSmall(db, 'poll_runs', nowSec - (deps.retention.pollRunsDays ?? 30) * 86_400, o.smallPruneLimit);
      s.pruned.poll_errors = await prunePollErrors(db, nowSec - (deps.retention.pollRunsDays ?? 30) * 86_400, o.smallPruneLimit);
      s.pruned.pressure_samples = partitioned
        ? (await dropPartitionsBefore(db, 'guest_pressure_samples', nowSec - deps.retention.rawHours * 3600)).rows
          + (await dropPartitionsBefore(db, 'node_pressure_samples', nowSec - deps.retention.rawHours * 3600)).rows
        : await prunePressure(db, nowSec - deps.retention.rawHours * 3600, o.smallPruneLimit);
      s.pruned.tasks = await pruneSmall(db, 'tasks', nowSec - (deps.retention.taskDays ?? deps.retention.hourlyDays) * 86_400, o.smallPruneLimit);
      s.pruned.guest_status_changes = await pruneSmall(db, 'guest_status_changes', nowSec - deps.retention.hourlyDays * 86_400, o.smallPruneLimit);
      if (deps.sqlite && s.windows.guest > 0) deps.sqlite.pragma('optimize');
      s.ms = deps.now() - t0;
      const work = Object.values(s.windows).some((n) => n > 0) || Object.values(s.pruned).some((n) => n > 0);
      if (work) log.debug({ maintenance: s }, 'store maintenance');
      return s;
    },
  };
}
