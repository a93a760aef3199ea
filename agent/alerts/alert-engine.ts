// One alert evaluation per agent cycle: run every rule (read-only, time-limited), step each
// instance's state machine, apply mutes and silences, queue notifications, and write all of it in
// one transaction — nothing when nothing changed.
import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.ts';
import { activeSilences, alertsDb, busyGuests, loadInstances, pruneResolved, writeAlertChanges } from '../store/alerts.repository.ts';
import type { RuleReader } from '../store/rule-reader.ts';
import type { Logger } from '../log/logger.ts';
import { stepRule, type InstanceRow, type Transition } from './alert-state.ts';
import type { AlertsConfig } from './alerts-config.schema.ts';
import { busyFromRows, busyIndex } from './mutes.ts';
import { instanceKey, planNotifications } from './notify-plan.ts';
import { toMatches } from './rule-matches.ts';
import { parametersOf } from './rules/check-rules.ts';
import type { RuleDef } from './rules/rule-file.ts';
import { activeStanding } from './silences.ts';

export interface RuleOutcome {
  rule: string;
  ok: boolean;
  ms: number;
  instances: number;
  code?: 'RULE_TIMEOUT' | 'RULE_ERROR';
  message?: string;
}

export interface AlertCycleSummary {
  rules: number;
  failed: RuleOutcome[];
  transitions: number;
  queued: number;
  ms: number;
}

export interface AlertEngineDeps {
  db: Kysely<Database>;
  reader: RuleReader;
  rules: readonly RuleDef[];
  config: Pick<AlertsConfig, 'routes' | 'targets' | 'silences'>;
  intervalSeconds: number;
  /** Epoch ms. */
  now: () => number;
  log: Logger;
  /** How long resolved instances stay listed (their history stays). */
  keepResolvedSeconds?: number;
}

/** Binds only the parameters a query uses (better-sqlite3 rejects missing ones). */
function paramsFor(rule: RuleDef, values: Record<string, number>): Record<string, number> {
  const used = new Set(parametersOf(rule.sql).map((p) => p.name));
  return Object.fromEntries(Object.entries(values).filter(([k]) => used.has(k)));
}

export function createAlertEngine(d: AlertEngineDeps) {
  const db = alertsDb(d.db);
  const ruleMap = new Map(d.rules.map((r) => [r.name, r]));
  return {
    /** Evaluates every rule once; returns what happened (failed rules are reported, never thrown). */
    async evaluate(): Promise<AlertCycleSummary> {
      const t0 = d.now();
      const now = Math.floor(t0 / 1000);
      const previous = await loadInstances(db);
      const byRule = new Map<string, Map<string, InstanceRow>>();
      for (const r of previous) {
        if (!byRule.has(r.rule)) byRule.set(r.rule, new Map());
        byRule.get(r.rule)!.set(r.fingerprint, r);
      }
      const instances = new Map<string, InstanceRow>(previous.map((r) => [instanceKey(r.rule, r.fingerprint), r]));
      const transitions: Transition[] = [];
      const upserts = new Map<string, InstanceRow>();
      const deletes: { rule: string; fingerprint: string }[] = [];
      const failed: RuleOutcome[] = [];
      for (const rule of d.rules) {
        const run = await d.reader.run(rule.sql, paramsFor(rule, { now, interval: d.intervalSeconds }));
        if (!run.ok) {
          // A failed rule keeps its instances as they are: an error is not a recovery.
          failed.push({ rule: rule.name, ok: false, ms: run.ms, instances: 0, code: run.code, message: run.message });
          d.log.error({ rule: rule.name, file: rule.file, code: run.code, ms: Math.round(run.ms) }, `alert rule ${rule.name} failed: ${run.message}`);
          continue;
        }
        const { matches, problems } = toMatches(rule, run.rows);
        for (const p of problems) d.log.warn({ rule: rule.name, file: rule.file }, `alert rule ${rule.name}: ${p}`);
        const step = stepRule(rule, byRule.get(rule.name) ?? new Map(), matches, now);
        transitions.push(...step.transitions);
        for (const u of step.upserts) {
          const k = instanceKey(u.rule, u.fingerprint);
          upserts.set(k, u);
          instances.set(k, u);
        }
        for (const del of step.deletes) {
          instances.delete(instanceKey(del.rule, del.fingerprint));
          deletes.push(del);
        }
      }
      const silences = [
        ...(await activeSilences(db, now)).map((s) => ({ id: s.id, matchers: s.matchers, endsAt: s.endsAt, reason: s.reason, createdBy: s.createdBy })),
        ...activeStanding(d.config.silences, now),
      ];
      const plan = planNotifications({
        now, rules: ruleMap, instances, transitions, busy: busyIndex(busyFromRows(await busyGuests(d.db))), silences,
        routes: d.config.routes, targets: d.config.targets,
      });
      for (const c of plan.changed) upserts.set(instanceKey(c.rule, c.fingerprint), c);
      await writeAlertChanges(db, { upserts: [...upserts.values()], deletes, transitions: plan.transitions, queue: plan.queue });
      if (d.keepResolvedSeconds !== undefined) await pruneResolved(db, now - d.keepResolvedSeconds);
      for (const t of plan.transitions) {
        if (t.to === 'firing' || t.to === 'resolved') d.log.info({ rule: t.rule, labels: t.labels, from: t.from, to: t.to, muted: t.muted, silenced: t.silenced }, `alert ${t.rule} ${t.to}: ${t.summary}`);
      }
      return { rules: d.rules.length, failed, transitions: plan.transitions.length, queued: plan.queue.length, ms: d.now() - t0 };
    },
  };
}
export type AlertEngine = ReturnType<typeof createAlertEngine>;
