// The `alerts` part of status.json, pure: instances and the silences in force in, a small
// documented object out (site-templates/DATA-FORMAT.md), its last member (agent/site/build-status-json.ts).
import type { InstanceRow } from '../alert-state.ts';
import { alertLabels } from '../label-matchers.ts';
import { silencedBy, type ActiveSilence } from '../silences.ts';

export interface FiringAlertStatus {
  rule: string;
  severity: string;
  summary: string;
  /** The instance's identifying labels (cluster, node, vmid, …), as the rule returned them. */
  labels: Record<string, string>;
  /** When it fired (epoch s). */
  since: number;
  /** Why it is muted (topology, our own work), or null. */
  muted: string | null;
  /** The silence that suppresses its notifications (`config:<name>` for standing ones), or null. */
  silenced: string | null;
}

export interface AlertsStatus {
  /** firing and pending: every instance in that state; muted and silenced: of those, how many are (a muted one is not counted as silenced). */
  counts: { firing: number; pending: number; muted: number; silenced: number };
  /** Every firing instance, critical first, then the newest first. */
  firing: FiringAlertStatus[];
  page: string;
}

/** The Alerts page, relative to the site root. */
export const ALERTS_PAGE = 'alerts.html';

const RANK: Record<string, number> = { critical: 0, warning: 1, info: 2 };

export function buildAlertsStatus(p: { instances: readonly InstanceRow[]; active: readonly ActiveSilence[] }): AlertsStatus {
  const counts = { firing: 0, pending: 0, muted: 0, silenced: 0 };
  const firing: FiringAlertStatus[] = [];
  for (const i of p.instances) {
    if (i.state === 'resolved') continue;
    const labels = JSON.parse(i.labels) as Record<string, string>;
    const silence = i.muted ? undefined : silencedBy(alertLabels(i.rule, i.severity, labels), p.active);
    counts[i.state]++;
    if (i.muted) counts.muted++;
    else if (silence) counts.silenced++;
    if (i.state === 'firing') {
      firing.push({ rule: i.rule, severity: i.severity, summary: i.summary, labels, since: i.firing_since ?? i.updated_at, muted: i.muted, silenced: silence?.id ?? null });
    }
  }
  firing.sort((a, b) => (RANK[a.severity] ?? 3) - (RANK[b.severity] ?? 3) || b.since - a.since || a.rule.localeCompare(b.rule));
  return { counts, firing, page: ALERTS_PAGE };
}
