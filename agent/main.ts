// Composition root: load the config, build every part with its dependencies, start them,
// handle signals, stop them in reverse order. Nothing else lives here.
import { setMaxListeners } from 'node:events';
import { loadConfig } from './config/load-config.ts';
import { loadSecret } from './config/load-secrets.ts';
import type { Config } from './config/config.schema.ts';
import { createAgentLoggers } from './log/log-files.ts';
import type { Logger } from './log/logger.ts';
import { openDatabase } from './store/open-database.ts';
import { openStore } from './store/open-store.ts'; // PostgreSQL store (#17)
import { checkRulesOnPostgres, createPgRuleReader } from './store/pg-rule-reader.ts'; // PostgreSQL store (#17)
import { writeSnapshot, writePollRun } from './store/snapshot.repository.ts';
import { createMaintenance } from './store/maintenance.ts';
import { writeBackfill } from './store/backfill.repository.ts';
import { createWriteQueue } from './store/write-queue.ts';
import { writePollErrors } from './store/poll-errors.repository.ts';
import { createPveClient } from './pve/pve-client.ts';
import type { PveClient } from './pve/pve-client.types.ts';
import { createPoller } from './poll/poll-cycle.ts';
import { createBackfiller } from './poll/backfill.ts';
import { createHealthStage } from './health/health-stage.ts';
import { setupPbs } from './health/pbs-setup.ts'; // PBS (#15)
import { createSnapshotStage } from './snapshots/snapshot-list-stage.ts'; // issue 14 item 5 (pages)
import { createSiteBuilder } from './site/site-builder.ts';
import { createInbox } from './inbox/inbox.ts';
import { createMetricsExporter, nodeProcessStats } from './metrics/metrics-exporter.ts';
import { createAlertsService, type AlertsService } from './alerts/alerts-service.ts'; // alerts (#16)
import { runCycle, type CycleSummary } from './agent-cycle.ts';
import { createCycleScheduler } from './cycle-scheduler.ts';
import { acquireAgentLock } from './agent-lock.ts';
import { createFleet, inboxFleet } from './fleet/fleet.ts'; // leases (#17)
import { readFileSync } from 'node:fs';
import { PmiError, errorMessage } from './errors.ts';
import type { DestinationStream } from 'pino';

export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  /** Aborting it stops the agent as SIGTERM would (tests, the demo). */
  signal?: AbortSignal;
  /** Stop after this many cycles (the demo's --cycles). */
  maxCycles?: number;
  /** Overrides the config's poll interval (the demo runs short cycles). */
  intervalSeconds?: number;
  /** Replaces stdout as the log destination (tests). */
  logDestination?: DestinationStream;
  /** Called after every cycle (the demo prints progress). */
  onCycle?: (summary: CycleSummary, n: number) => void;
  /** Called once when the agent is running (the demo reports readiness). */
  onStarted?: () => void;
  /** The clock, epoch ms (tests drive days of history through a fake one). */
  now?: () => number;
}

/** Exit codes: 0 ok, 1 runtime failure, 78 (EX_CONFIG) for configuration problems. */
export const EXIT = { OK: 0, FAILURE: 1, USAGE: 2, CONFIG: 78 } as const;

/** How long a stop may take before the process exits anyway (systemd's TimeoutStopSec is 30 s). */
const HARD_EXIT_MS = 25_000;

/** The agent's parts, built and wired but not scheduled: runAgent and runOnce drive them. */
export interface AgentParts {
  /** The config as loaded, with the poll interval override (RunOptions.intervalSeconds) applied. */
  config: Readonly<Config>;
  /** The poll interval every part runs on, resolved once. */
  intervalSeconds: number;
  log: Logger;
  /** One full cycle (poll, store, backfill, maintain, inbox rescan, site). */
  runCycle: () => Promise<CycleSummary>;
  startInbox: () => Promise<void>;
  /** Cancels the poll in flight (requests are aborted; no further cluster starts). */
  abortPoll: () => void;
  /** Stops everything in reverse order of start and closes the database and log files. */
  close: () => Promise<void>;
  /** leases (#17): called when this agent took leases between cycles (runAgent polls at once). */
  onLeasesGained: (fn: () => void) => void;
  /** Where in the interval the cycles fire (ms); see Fleet.phaseMs. */
  phaseMs: () => number;
}

/**
 * The poll interval is resolved here, once: the CLI's --interval (the demo's short cycles) over the
 * config's pollIntervalSeconds. Every part, the site's status.json and stale banner included, gets it.
 */
function withIntervalOverride(config: Readonly<Config>, intervalSeconds: number | undefined): Readonly<Config> {
  return intervalSeconds === undefined ? config : Object.freeze({ ...config, pollIntervalSeconds: intervalSeconds });
}

/** Loads the config and secrets and builds every part; throws PmiError for config/secret problems. */
export async function openAgent(configPath: string, opts: RunOptions = {}, withInbox = true): Promise<AgentParts> {
  const env = opts.env ?? process.env;
  const config = withIntervalOverride(loadConfig(configPath), opts.intervalSeconds);
  const intervalSeconds = config.pollIntervalSeconds;
  const secrets = new Map<string, string>();
  const loggers = await createAgentLoggers(config.log, {
    ...(opts.logDestination && { stdout: opts.logDestination }),
    secrets: () => secrets.values(),
  });
  const log = loggers.log;
  const credentialsDir = env.CREDENTIALS_DIRECTORY;
  for (const c of config.clusters) secrets.set(c.name, loadSecret(c, { ...(credentialsDir && { credentialsDir }), log: log.child({ module: 'config' }) }));

  // A CA file that cannot be read is a configuration problem: say which key, before starting.
  config.clusters.forEach((c, i) => {
    if (!c.tls.caFile) return;
    try {
      readFileSync(c.tls.caFile);
    } catch (err) {
      throw new PmiError('CONFIG_INVALID', `${configPath}: clusters[${i}].tls.caFile: cannot read ${c.tls.caFile} (${(err as NodeJS.ErrnoException).code ?? errorMessage(err)})`, { cause: err });
    }
  });

  // leases (#17): agents sharing a database (agent.shared) coordinate through leases instead
  const lock = config.agent.shared ? { release() {} } : acquireAgentLock(`${config.paths.database}.lock`);
  let store: Awaited<ReturnType<typeof openStore>>;
  try {
    store = await openStore(config, { ...(credentialsDir && { credentialsDir }), registerSecret: (k, v) => secrets.set(k, v) });
  } catch (err) {
    lock.release();
    throw err;
  }
  // PostgreSQL store (#17): the alert rules are checked against the schema of an in-memory SQLite
  // database (as `pmi-agent rules check` does) and run on PostgreSQL by their own reader.
  const ruleSchema = store.kind === 'sqlite' ? undefined : await openDatabase(':memory:');
  const ruleSqlite = store.kind === 'sqlite' ? store.sqlite : ruleSchema!.sqlite;
  const now = opts.now ?? (() => Date.now());
  const clients = new Map<string, PveClient>();
  for (const c of config.clusters) {
    clients.set(c.name, createPveClient({
      cluster: c,
      secret: secrets.get(c.name)!,
      log: log.child({ module: 'pve', cluster: c.name }),
      retries: config.poll.retries,
      retryBaseMs: config.poll.retryBaseMs,
      maxBodyBytes: config.poll.maxResponseBytes,
      maxInflatedBytes: config.poll.maxInflatedBytes,
    }));
  }
  // issue 12 item 9 (fidelity): store writes wait for a locked database asynchronously, kept for later if need be
  const writes = createWriteQueue({ log: log.child({ module: 'store' }) });
  const poller = createPoller({ clients, log: log.child({ module: 'poll' }), now, concurrency: config.poll.concurrency, taskRetentionDays: config.retention.taskDays });
  const backfiller = config.poll.backfill
    ? createBackfiller({ clients, db: store.db, log: log.child({ module: 'backfill' }), now, intervalSeconds, write: (db, b) => writes.submit(`backfill of ${b.cluster}`, () => writeBackfill(db, b)) })
    : undefined;
  // leases (#17): built early, as the fleet-wide duties below ask it whether they are this agent's
  const fleet = createFleet({ config, db: store.kind === 'postgres' ? store.leaseDb : store.db, log: log.child({ module: 'fleet' }), now, intervalSeconds }); // the keeper's own connection: renewals never queue behind the site's queries
  // PBS (#15, optional): one client per configured server, read in the health stage
  const pbs = setupPbs(config, { db: store.db, log: log.child({ module: 'pbs' }), now, intervalSeconds, ...(credentialsDir && { credentialsDir }), registerSecret: (k, s) => secrets.set(k, s) });
  const health = createHealthStage({ clients, db: store.db, log: log.child({ module: 'health' }), now, intervalSeconds, config: config.health, tokenIds: new Map(config.clusters.map((c) => [c.name, c.tokenId])), retentionDays: config.retention.hourlyDays, prunes: () => fleet.fleetDuties(), ...(pbs.tier && { pbs: pbs.tier }) });
  const snapshotLists = createSnapshotStage({ clients, db: store.db, log: log.child({ module: 'snapshots' }), now, intervalSeconds, periodSeconds: config.health.every.snapshotLists }); // issue 14 item 5 (pages)
  const maintenance = createMaintenance({ db: store.db, ...(store.kind === 'sqlite' && { sqlite: store.sqlite }), log: log.child({ module: 'store' }), now, retention: config.retention });
  const site = createSiteBuilder({ db: store.db, log: log.child({ module: 'site' }), now, outDir: config.paths.site, config });
  // alerts (#16): rules checked here (a broken rule file stops the start like a config error)
  let alerts: AlertsService;
  try {
    alerts = createAlertsService({
      rules: config.rules, alerts: config.alerts, configPath, db: store.db, sqlite: ruleSqlite, dbFile: config.paths.database,
      ...(store.kind === 'postgres' && { reader: createPgRuleReader({ connect: store.connectClient, timeoutMs: config.rules.evalTimeoutMs }) }),
      intervalSeconds, now, log: log.child({ module: 'alerts' }),
      delivers: () => fleet.fleetDuties(), // leases (#17): one agent sends the fleet's notifications
      ...(credentialsDir && { credentialsDir }), registerSecret: (name, secret) => secrets.set(name, secret),
    });
    // PostgreSQL store (#17): a rule that does not plan there stops the start, not every cycle
    if (store.kind === 'postgres') {
      const problems = await checkRulesOnPostgres(store.pool, alerts.rules);
      if (problems.length > 0) {
        await alerts.stop();
        throw new PmiError('CONFIG_INVALID', `alert rules on PostgreSQL (database.url): ${problems.length} rule${problems.length === 1 ? '' : 's'} cannot run there; disable them (rules.disabled) or give PostgreSQL versions of the same name in rules.directory:\n${problems.join('\n')}`);
      }
    }
  } catch (err) {
    await ruleSchema?.close();
    await store.close();
    lock.release();
    throw err;
  }
  const inbox = withInbox
    ? createInbox({ dir: config.paths.inbox, db: store.db, clients, log: log.child({ module: 'inbox' }), auditLog: loggers.auditLog, now, config: config.actions, ...(fleet.shared && { fleet: inboxFleet(fleet, store.db, now) }) })
    : undefined;

  // `run` withdraws its metrics file when it stops (Prometheus then sees the target down rather
  // than frozen values); `once` leaves the file it wrote.
  const metrics = config.metrics.enabled
    ? createMetricsExporter({ file: config.metrics.file, log: log.child({ module: 'metrics' }), now, removeOnStop: withInbox, processStats: () => nodeProcessStats(now) })
    : undefined;
  metrics?.start();

  // leases (#17): registers this agent and takes its leases before the first cycle
  await fleet.keeper.start();

  const stopPolling = new AbortController();
  setMaxListeners(0, stopPolling.signal); // every cluster's cycle listens to it (50 clusters at 10,000 guests)
  const cycle = async () => {
    const summary = await runCycle({
      log: log.child({ module: 'cycle' }),
      now,
      poll: async () => poller.pollAll({ signal: stopPolling.signal, only: await fleet.pollOnly() }), // leases (#17)
      // PostgreSQL (#17 item 5): the poll run goes into the cycle's one statement; a write kept for
      // later (write-queue.ts) runs without it, since recordRun then writes the run itself
      store: async (s, run, startedAt) => {
        let withRun = false;
        let settled = false;
        await writes.submit(`cycle ${s.ts} of ${s.cluster}`, async () => {
          withRun = await writeSnapshot(store.db, s, settled ? undefined : { record: run, startedAt });
        });
        settled = true;
        return withRun;
      },
      // PostgreSQL (#17 item 5): clusters stored side by side, one pooled connection left for the rest
      storeConcurrency: store.kind === 'postgres' ? Math.max(1, config.database!.poolSize - 1) : 1,
      recordRun: async (r, startedAt, written) => {
        if (!written) await writes.submit(`poll run ${startedAt} of ${r.cluster}`, () => writePollRun(store.db, r, startedAt));
        // issue 12 item 3 (fidelity): per-node problems of the cycle, for the pages and status.json
        if (r.problems?.length) await writes.submit(`poll errors ${startedAt} of ${r.cluster}`, () => writePollErrors(store.db, r.cluster, startedAt, r.problems!));
      },
      health: (o) => health.run(o, { signal: stopPolling.signal }),
      snapshots: (o) => snapshotLists.run(o, { signal: stopPolling.signal }), // issue 14 item 5 (pages)
      ...(backfiller && { backfill: (o) => backfiller.run(o) }),
      // #17 item 5: the site holder builds from a coherent fleet cycle (bounded wait; alone, no stage)
      ...(fleet.shared && { fleetCycle: (startMs: number) => fleet.awaitFleetCycle(startMs, () => stopPolling.signal.aborted) }),
      maintain: async () => (fleet.fleetDuties() ? maintenance.run() : undefined), // leases (#17)
      ...(inbox && { rescanInbox: () => inbox.rescan() }),
      alerts: async () => (fleet.fleetDuties() ? alerts.evaluate() : undefined), // alerts (#16); leases (#17)
      site: { record: (s) => site.record(s), build: async () => (fleet.buildsSite() ? site.build() : undefined) }, // leases (#17)
      ...(metrics && { metrics }),
      stopping: () => stopPolling.signal.aborted,
    });
    await alerts.heartbeat(summary.failedStages.length === 0 && summary.failed === 0); // alerts (#16)
    return summary;
  };

  return {
    config,
    intervalSeconds,
    log,
    runCycle: cycle,
    abortPoll: () => stopPolling.abort(),
    startInbox: async () => { alerts.start(); await inbox?.start(); },
    onLeasesGained: (fn) => fleet.onGained(fn), // leases (#17)
    phaseMs: () => fleet.phaseMs(), // #17 item 5: agents of one database fire at different moments
    async close() {
      // Reverse order of start: inbox (persists in-flight state), clients, database, log files.
      if (inbox) await inbox.stop().catch((err: unknown) => log.error({ err }, 'inbox stop failed'));
      await metrics?.stop();
      await alerts.stop().catch((err: unknown) => log.error({ err }, 'alerts stop failed')); // alerts (#16)
      await Promise.all([...clients.values()].map((c) => c.close().catch(() => undefined)));
      await pbs.close(); // PBS (#15)
      await site.stop();
      await fleet.keeper.stop(); // leases (#17): another agent may take over at once
      // issue 12 item 9 (fidelity): writes kept while the database was locked get a last chance
      const left = await writes.flush();
      if (left) log.error({ writes: left }, `${left} database writes kept while the database was locked are lost at stop`);
      await store.close();
      await ruleSchema?.close(); // PostgreSQL store (#17)
      lock.release();
      await loggers.close();
    },
  };
}

/** Reports a start-up failure on stderr in one readable block and returns the exit code. */
function startupFailure(err: unknown): number {
  if (err instanceof PmiError) {
    process.stderr.write(`pmi-agent: ${err.message}\n`);
    if (err.code === 'AGENT_RUNNING') return EXIT.FAILURE;
    return err.code === 'CONFIG_INVALID' || err.code.startsWith('SECRET_') ? EXIT.CONFIG : EXIT.FAILURE;
  }
  process.stderr.write(`pmi-agent: start-up failed: ${errorMessage(err)}\n`);
  return EXIT.FAILURE;
}

/**
 * Runs the agent until SIGTERM/SIGINT (or opts.signal, or opts.maxCycles): the first cycle at
 * once, then on the schedule. Returns the process exit code.
 */
export async function runAgent(configPath: string, opts: RunOptions = {}): Promise<number> {
  let parts: AgentParts;
  try {
    parts = await openAgent(configPath, opts, true);
  } catch (err) {
    return startupFailure(err);
  }
  const { config, log, intervalSeconds } = parts;
  let cycles = 0;
  let stopRequested!: () => void;
  const stopped = new Promise<void>((r) => (stopRequested = r));

  const scheduler = createCycleScheduler({
    intervalSeconds,
    phaseMs: parts.phaseMs,
    log: log.child({ module: 'scheduler' }),
    run: async () => {
      const summary = await parts.runCycle();
      cycles++;
      opts.onCycle?.(summary, cycles);
      if (opts.maxCycles && cycles >= opts.maxCycles) stopRequested();
    },
  });

  const onSignal = (sig: string) => {
    log.info({ signal: sig }, 'stop requested: finishing the current step');
    // Requests in flight are cancelled (each cluster's write is one transaction, so an abandoned
    // poll leaves nothing half-stored); the rest of the cycle finishes with what it has.
    parts.abortPoll();
    stopRequested();
  };
  const sigterm = () => onSignal('SIGTERM');
  const sigint = () => onSignal('SIGINT');
  process.on('SIGTERM', sigterm);
  process.on('SIGINT', sigint);
  opts.signal?.addEventListener('abort', () => onSignal('abort'), { once: true });

  log.info({ clusters: config.clusters.map((c) => c.name), intervalSeconds, database: config.paths.database, site: config.paths.site, inbox: config.paths.inbox }, 'pmi-agent starting');
  let exitCode: number = EXIT.OK;
  try {
    await parts.startInbox();
    scheduler.start();
    parts.onLeasesGained(() => void scheduler.trigger()); // leases (#17): a taken-over cluster is polled at once
    opts.onStarted?.();
    void scheduler.trigger();
    await stopped;
  } catch (err) {
    // E.g. the inbox cannot be created: exit non-zero so systemd's Restart=on-failure applies.
    log.error({ err }, `agent failed: ${errorMessage(err)}`);
    exitCode = EXIT.FAILURE;
    stopRequested();
  }

  const hardExit = setTimeout(() => {
    log.error(`stop took longer than ${HARD_EXIT_MS} ms: exiting anyway`);
    process.exit(EXIT.FAILURE);
  }, HARD_EXIT_MS);
  hardExit.unref();
  await scheduler.stop();
  await parts.close();
  clearTimeout(hardExit);
  process.off('SIGTERM', sigterm);
  process.off('SIGINT', sigint);
  return exitCode;
}

/** One cycle (poll, store, maintain, publish), then exit. Pending actions are left for `run`. */
export async function runOnce(configPath: string, opts: RunOptions = {}): Promise<number> {
  let parts: AgentParts;
  try {
    parts = await openAgent(configPath, opts, false);
  } catch (err) {
    return startupFailure(err);
  }
  try {
    const summary = await parts.runCycle();
    const allFailed = summary.clusters > 0 && summary.failed === summary.clusters;
    return allFailed || summary.failedStages.length > 0 ? EXIT.FAILURE : EXIT.OK;
  } finally {
    await parts.close();
  }
}
