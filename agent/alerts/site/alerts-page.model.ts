// The Alerts page, pure: instances, silences and history in, a view model out (firing, pending,
// muted, silenced, the silences in force, and the history with how long each state lasted).
import type { InstanceRow } from '../alert-state.ts';
import type { HistoryRow, SilenceRow } from '../../store/alerts.repository.ts';
import { alertLabels, formatMatchers } from '../label-matchers.ts';
import { silencedBy, type ActiveSilence } from '../silences.ts';
import { formatDuration } from '../rules/parse-duration.ts';

export interface AlertRowVM { rule: string; severity: string; summary: string; labels: string; since: string; sinceIso: string; forText: string; note: string }
export interface SilenceVM { id: string; matchers: string; until: string; reason: string; by: string; state: string }
export interface HistoryVM { when: string; whenIso: string; rule: string; severity: string; transition: string; lasted: string; summary: string; note: string }
export interface AlertsPageModel {
  counts: { firing: number; pending: number; muted: number; silenced: number };
  firing: AlertRowVM[];
  pending: AlertRowVM[];
  muted: AlertRowVM[];
  silenced: AlertRowVM[];
  silences: SilenceVM[];
  history: HistoryVM[];
}

const iso = (s: number) => new Date(s * 1000).toISOString();
const when = (s: number) => iso(s).slice(0, 16).replace('T', ' ') + ' UTC';
const labelText = (json: string) => Object.entries(JSON.parse(json) as Record<string, string>).map(([k, v]) => `${k}=${v}`).join(', ');

export function buildAlertsPageModel(p: { now: number; instances: readonly InstanceRow[]; silences: readonly SilenceRow[]; active: readonly ActiveSilence[]; history: readonly HistoryRow[] }): AlertsPageModel {
  const m: AlertsPageModel = { counts: { firing: 0, pending: 0, muted: 0, silenced: 0 }, firing: [], pending: [], muted: [], silenced: [], silences: [], history: [] };
  const order = (a: InstanceRow, b: InstanceRow) => (a.severity === b.severity ? (b.firing_since ?? b.active_since ?? 0) - (a.firing_since ?? a.active_since ?? 0) : ['critical', 'warning', 'info'].indexOf(a.severity) - ['critical', 'warning', 'info'].indexOf(b.severity));
  for (const i of [...p.instances].filter((x) => x.state !== 'resolved').sort(order)) {
    const since = (i.state === 'firing' ? i.firing_since : i.active_since) ?? i.updated_at;
    const silence = silencedBy(alertLabels(i.rule, i.severity, JSON.parse(i.labels) as Record<string, string>), p.active);
    const row: AlertRowVM = {
      rule: i.rule, severity: i.severity, summary: i.summary, labels: labelText(i.labels), since: when(since), sinceIso: iso(since), forText: formatDuration(p.now - since),
      note: i.muted ? `muted: ${i.muted}` : silence ? `silenced by ${silence.id} until ${when(silence.endsAt)}: ${silence.reason}` : '',
    };
    if (i.muted) m.muted.push(row);
    else if (silence) m.silenced.push(row);
    else if (i.state === 'firing') m.firing.push(row);
    else m.pending.push(row);
  }
  m.counts = { firing: m.firing.length, pending: m.pending.length, muted: m.muted.length, silenced: m.silenced.length };
  const activeIds = new Set(p.active.map((s) => s.id));
  m.silences = [
    ...p.active.filter((s) => s.id.startsWith('config:')).map((s) => ({ id: s.id, matchers: formatMatchers(s.matchers), until: when(s.endsAt), reason: s.reason, by: s.createdBy, state: 'active (standing)' })),
    ...p.silences.map((s) => ({
      id: s.id, matchers: formatMatchers(s.matchers), until: when(s.endedAt ?? s.endsAt), reason: s.reason, by: s.createdBy,
      state: s.endedAt !== null ? `ended by ${s.endedBy ?? '?'}` : activeIds.has(s.id) ? 'active' : s.startsAt > p.now ? `starts ${when(s.startsAt)}` : 'expired',
    })),
  ];
  m.history = p.history.map((h) => ({
    when: when(h.ts), whenIso: iso(h.ts), rule: h.rule, severity: h.severity, transition: `${h.fromState} → ${h.toState}`,
    lasted: h.durationS === null ? 'current' : formatDuration(h.durationS), summary: h.summary,
    note: [h.muted ? `muted: ${h.muted}` : '', h.silenced ? `silenced: ${h.silenced}` : ''].filter(Boolean).join('; '),
  }));
  return m;
}
