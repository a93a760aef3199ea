// After the state machine: mutes, silences and notifications, pure. Decides which instances change
// their `muted`/`notified` columns and which notification events go to which target and group.
import type { InstanceRow, Transition } from './alert-state.ts';
import type { Route, Target } from './alerts-config.schema.ts';
import { alertLabels, matchesAll } from './label-matchers.ts';
import { muteReason, type BusyGuest, type Muter } from './mutes.ts';
import { silencedBy, type ActiveSilence } from './silences.ts';
import type { RuleDef } from './rules/rule-file.ts';
import type { QueueItem, RecordedTransition } from '../store/alerts.repository.ts';

/** One alert in a notification: the documented shape (README "Alert notifications"). */
export interface AlertEvent {
  status: 'firing' | 'resolved';
  /** firing, resolved, or repeat (still firing after repeatIntervalSeconds). */
  kind: 'firing' | 'resolved' | 'repeat';
  alertname: string;
  severity: string;
  summary: string;
  labels: Record<string, string>;
  fingerprint: string;
  startsAt: string | null;
  endsAt: string | null;
  runbook: string | null;
}

export interface PlanInput {
  now: number;
  rules: ReadonlyMap<string, Pick<RuleDef, 'mutes' | 'runbook'>>;
  /** Every instance after this cycle's state step (pending, firing, resolved). */
  instances: ReadonlyMap<string, InstanceRow>;
  transitions: readonly Transition[];
  busy: ReadonlyMap<string, readonly BusyGuest[]>;
  silences: readonly ActiveSilence[];
  routes: readonly Route[];
  targets: readonly Pick<Target, 'name'>[];
}

export interface Plan {
  /** Instances whose muted/notified columns change (full rows). */
  changed: InstanceRow[];
  transitions: RecordedTransition[];
  queue: QueueItem[];
}

export const instanceKey = (rule: string, fingerprint: string) => `${rule}\u0000${fingerprint}`;
const iso = (s: number | null) => (s === null ? null : new Date(s * 1000).toISOString());

/** With no routes configured, every alert goes to every target. */
export function effectiveRoutes(routes: readonly Route[], targets: readonly Pick<Target, 'name'>[]): Route[] {
  if (routes.length > 0 || targets.length === 0) return [...routes];
  return [{ matchers: [], targets: targets.map((t) => t.name), groupBy: ['alertname', 'cluster'], groupWaitSeconds: 30, repeatIntervalSeconds: 4 * 3600, sendResolved: true }];
}

/** Mutes, silences and notification events for one cycle. */
export function planNotifications(p: PlanInput): Plan {
  const routes = effectiveRoutes(p.routes, p.targets);
  const rows = new Map<string, InstanceRow>();
  const changed = new Set<string>();
  for (const [k, r] of p.instances) rows.set(k, { ...r });
  const labelsOf = (r: InstanceRow) => JSON.parse(r.labels) as Record<string, string>;

  const muters: Muter[] = [];
  for (const r of rows.values()) if (r.state === 'firing' && p.rules.get(r.rule)?.mutes) muters.push({ rule: r.rule, labels: labelsOf(r) });
  for (const [k, r] of rows) {
    if (r.state === 'resolved') continue;
    const reason = muteReason(r.rule, labelsOf(r), muters, p.busy);
    if (reason !== r.muted) {
      r.muted = reason;
      changed.add(k);
    }
  }

  const silenceOf = (r: InstanceRow) => silencedBy(alertLabels(r.rule, r.severity, labelsOf(r)), p.silences);
  const transitions: RecordedTransition[] = p.transitions.map((t) => {
    const r = rows.get(instanceKey(t.rule, t.fingerprint));
    const labels = alertLabels(t.rule, t.severity, JSON.parse(t.labels) as Record<string, string>);
    return { ...t, ts: p.now, muted: t.to === 'inactive' ? null : (r?.muted ?? null), silenced: silencedBy(labels, p.silences)?.id ?? null };
  });
  const transitionIndex = new Map<string, number>();
  p.transitions.forEach((t, i) => transitionIndex.set(instanceKey(t.rule, t.fingerprint), i));

  const queue: QueueItem[] = [];
  const emit = (r: InstanceRow, kind: AlertEvent['kind'], k: string) => {
    const labels = alertLabels(r.rule, r.severity, labelsOf(r));
    const event: AlertEvent = {
      status: kind === 'resolved' ? 'resolved' : 'firing', kind, alertname: r.rule, severity: r.severity, summary: r.summary, labels,
      fingerprint: r.fingerprint, startsAt: iso(r.firing_since), endsAt: kind === 'resolved' ? iso(r.resolved_at) : null, runbook: p.rules.get(r.rule)?.runbook ?? null,
    };
    routes.forEach((route, ri) => {
      if (!matchesAll(labels, route.matchers)) return;
      if (route.severities && !route.severities.includes(r.severity as 'critical')) return;
      if (kind === 'resolved' && !route.sendResolved) return;
      const groupKey = `${ri}:${JSON.stringify(route.groupBy.map((g) => labels[g] ?? ''))}`;
      for (const target of route.targets) {
        queue.push({ target, groupKey, kind, event, createdAt: p.now, dueAt: p.now + route.groupWaitSeconds, ...(transitionIndex.has(k) && { transitionIndex: transitionIndex.get(k)! }) });
      }
    });
  };
  const repeatAfter = (r: InstanceRow): number => {
    const labels = alertLabels(r.rule, r.severity, labelsOf(r));
    const ivs = routes.filter((rt) => matchesAll(labels, rt.matchers) && rt.repeatIntervalSeconds > 0).map((rt) => rt.repeatIntervalSeconds);
    return ivs.length ? Math.min(...ivs) : Infinity;
  };

  for (const [k, r] of rows) {
    if (r.state === 'firing') {
      if (r.muted || silenceOf(r)) continue;
      if (r.notified !== 'firing') {
        emit(r, 'firing', k);
        r.notified = 'firing';
        r.notified_at = p.now;
        changed.add(k);
      } else if (r.notified_at !== null && p.now - r.notified_at >= repeatAfter(r)) {
        emit(r, 'repeat', k);
        r.notified_at = p.now;
        changed.add(k);
      }
    } else if (r.state === 'resolved' && r.notified === 'firing') {
      emit(r, 'resolved', k);
      r.notified = 'resolved';
      r.notified_at = p.now;
      changed.add(k);
    }
  }
  return { changed: [...changed].map((k) => rows.get(k)!), transitions, queue };
}
