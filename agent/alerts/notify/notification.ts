// A notification: one group's events for one target, as stored in the outbox and sent to every
// kind of target (the webhook gets it as JSON; the others get text made from it). Pure.
import { createHash } from 'node:crypto';
import type { AlertEvent } from '../notify-plan.ts';

/** The generic webhook's JSON body (documented in agent/alerts/README.md). */
export interface Notification {
  version: 1;
  /** Same on every retry of this notification; receivers drop a key they have seen. */
  idempotencyKey: string;
  status: 'firing' | 'resolved';
  groupKey: string;
  groupLabels: Record<string, string>;
  alerts: AlertEvent[];
  sentBy: 'pmi-agent';
}

/** Deterministic key of a notification: its target and the queued events it carries. */
export function idempotencyKey(target: string, eventIds: readonly number[]): string {
  return createHash('sha256').update(`${target}\n${eventIds.join(',')}`).digest('hex').slice(0, 32);
}

export function buildNotification(key: string, groupKey: string, groupBy: readonly string[], events: readonly AlertEvent[]): Notification {
  const first = events[0]?.labels ?? {};
  return {
    version: 1,
    idempotencyKey: key,
    status: events.some((e) => e.status === 'firing') ? 'firing' : 'resolved',
    groupKey,
    groupLabels: Object.fromEntries(groupBy.map((g) => [g, first[g] ?? ''])),
    alerts: [...events],
    sentBy: 'pmi-agent',
  };
}

/** One line title: "[FIRING 2] node-offline cluster=lab". */
export function title(n: Notification): string {
  const firing = n.alerts.filter((a) => a.status === 'firing').length;
  const head = n.status === 'firing' ? `[FIRING${n.alerts.length > 1 ? ` ${firing}` : ''}]` : '[RESOLVED]';
  const group = Object.entries(n.groupLabels).filter(([, v]) => v !== '').map(([k, v]) => (k === 'alertname' ? v : `${k}=${v}`)).join(' ');
  return `${head} ${group}`.trim();
}

/** Plain text body: one paragraph per alert. */
export function text(n: Notification): string {
  return n.alerts
    .map((a) => {
      const when = a.status === 'resolved' ? `resolved ${a.endsAt ?? ''} (since ${a.startsAt ?? '?'})` : `${a.kind === 'repeat' ? 'still firing' : 'firing'} since ${a.startsAt ?? '?'}`;
      const labels = Object.entries(a.labels).map(([k, v]) => `${k}=${v}`).join(', ');
      return `${a.severity.toUpperCase()} ${a.summary}\n  ${when}\n  ${labels}${a.runbook ? `\n  runbook: ${a.runbook}` : ''}`;
    })
    .join('\n\n');
}

/** ntfy/Gotify priority (1..5) from the worst severity. */
export function priority(n: Notification): number {
  if (n.status === 'resolved') return 2;
  if (n.alerts.some((a) => a.severity === 'critical' && a.status === 'firing')) return 5;
  if (n.alerts.some((a) => a.severity === 'warning' && a.status === 'firing')) return 4;
  return 3;
}
