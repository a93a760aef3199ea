// The alert engine as one long-lived part of the agent: rules loaded and checked at start, one
// evaluation per cycle (after the store, before the site), the outbox dispatcher between cycles,
// and the heartbeat after every good cycle. start()/stop() like every other part.
import type { Kysely } from 'kysely';
import type SqliteDatabase from 'better-sqlite3';
import type { Database } from '../store/schema.ts';
import { createRuleReader, type RuleReader } from '../store/rule-reader.ts';
import { PmiError } from '../errors.ts';
import type { Logger } from '../log/logger.ts';
import type { AlertsConfig, RulesConfig } from './alerts-config.schema.ts';
import { createAlertEngine, type AlertCycleSummary } from './alert-engine.ts';
import { createHttpSend } from './notify/http-post.ts';
import { createOutboxDispatcher } from './notify/outbox-dispatcher.ts';
import { createSender, type Sender } from './notify/senders.ts';
import { smtpSend } from './notify/smtp-send.ts';
import { loadTargetSecret } from './notify/target-secrets.ts';
import { formatProblems } from './rules/check-rules.ts';
import { loadCheckedRules } from './rules/rule-set.ts';
import { effectiveRoutes } from './notify-plan.ts';

export interface AlertsServiceDeps {
  rules: RulesConfig;
  alerts: AlertsConfig;
  configPath: string;
  db: Kysely<Database>;
  sqlite: SqliteDatabase.Database;
  dbFile: string;
  intervalSeconds: number;
  now: () => number;
  log: Logger;
  credentialsDir?: string;
  /** Receives each target secret so the logger masks it. */
  registerSecret: (name: string, secret: string) => void;
  shippedDir?: string;
  /** The rules' reader when the store is not the SQLite file `dbFile` (PostgreSQL, #17). */
  reader?: RuleReader;
  /** leases (#17): whether this agent delivers the fleet's notifications now (the site lease holder); default always. */
  delivers?: () => boolean;
}

/** Builds the alert engine; throws PmiError CONFIG_INVALID listing every rule problem (file:line). */
export function createAlertsService(d: AlertsServiceDeps) {
  const set = loadCheckedRules(d.rules, d.sqlite, { configFile: d.configPath, ...(d.shippedDir && { shippedDir: d.shippedDir }) });
  if (set.problems.length > 0) {
    throw new PmiError('CONFIG_INVALID', `alert rules: ${set.problems.length} problem${set.problems.length === 1 ? '' : 's'} (check them with: pmi-agent rules check):\n${formatProblems(set.problems)}`, { details: { problems: set.problems } });
  }
  const http = createHttpSend();
  const senders = new Map<string, Sender>();
  for (const t of d.alerts.targets) {
    const secret = loadTargetSecret(t, { ...(d.credentialsDir && { credentialsDir: d.credentialsDir }), log: d.log });
    if (secret) d.registerSecret(`alerts-target:${t.name}`, secret);
    senders.set(t.name, createSender(t, secret, { http, smtp: smtpSend }));
  }
  const reader = d.reader ?? createRuleReader({ file: d.dbFile, timeoutMs: d.rules.evalTimeoutMs });
  const engine = createAlertEngine({ db: d.db, reader, rules: set.rules, config: d.alerts, intervalSeconds: d.intervalSeconds, now: d.now, log: d.log, keepResolvedSeconds: 7 * 86_400 });
  const dispatcher = createOutboxDispatcher({
    db: d.db, senders, routes: effectiveRoutes(d.alerts.routes, d.alerts.targets), now: d.now, log: d.log,
    retryBaseMs: d.alerts.retryBaseMs, retryMaxMs: d.alerts.retryMaxMs, intervalMs: d.alerts.dispatchIntervalMs,
    ...(d.delivers && { delivers: d.delivers }),
  });
  d.log.info({ rules: set.rules.map((r) => r.name), disabled: set.disabled.map((r) => r.name), overridden: [...set.overridden.keys()], targets: [...senders.keys()] }, `alert rules loaded: ${set.rules.length} active`);

  return {
    rules: set.rules,
    start() {
      if (senders.size > 0) dispatcher.start();
    },
    /** The cycle's alerts stage: evaluate, then hand the new notifications to the dispatcher. */
    async evaluate(): Promise<AlertCycleSummary> {
      const summary = await engine.evaluate();
      if (senders.size > 0) void dispatcher.kick();
      return summary;
    },
    /** Calls the heartbeat URL after a cycle whose stages all succeeded (failures are logged only). */
    async heartbeat(cycleOk: boolean): Promise<void> {
      if (!cycleOk || !d.alerts.heartbeatUrl) return;
      try {
        const res = await http({ method: 'GET', url: d.alerts.heartbeatUrl, timeoutMs: 10_000 });
        if (res.status >= 300) d.log.warn({ status: res.status }, `heartbeat URL answered HTTP ${res.status}`);
      } catch (err) {
        d.log.warn({ err }, `heartbeat URL failed: ${err instanceof Error ? err.message : String(err)}`);
      }
    },
    /** Lets the dispatcher deliver what is due now (tests, the demo). */
    deliver: () => dispatcher.kick(),
    async stop() {
      await dispatcher.stop();
      await reader.stop();
      await http.close();
    },
  };
}
export type AlertsService = ReturnType<typeof createAlertsService>;
