// The alert state machine, pure: the previous instances of one rule and what its query returned
// now → the rows to write and the transitions to record. Nothing is written while nothing changes.
//
//   inactive ──match──▶ pending ──held `for`──▶ firing ──no match for `keepFiringFor`──▶ resolved
//       ▲                  │ no match                                                      │ match
//       └──────────────────┘                                                   pending/firing again
import type { RuleDef, Severity } from './rules/rule-file.ts';

export type AlertState = 'inactive' | 'pending' | 'firing' | 'resolved';

/** One instance as stored (alert_instances). Times in epoch seconds. */
export interface InstanceRow {
  rule: string;
  fingerprint: string;
  labels: string;
  state: Exclude<AlertState, 'inactive'>;
  severity: Severity;
  summary: string;
  active_since: number | null;
  firing_since: number | null;
  /** While firing: when the condition stopped holding (keepFiringFor runs from here). */
  cleared_at: number | null;
  resolved_at: number | null;
  muted: string | null;
  notified: 'firing' | 'resolved' | null;
  notified_at: number | null;
  updated_at: number;
}

/** One row of a rule's result, as an instance. */
export interface Match {
  fingerprint: string;
  labels: Record<string, string>;
  severity: Severity;
  summary: string;
}

export interface Transition {
  rule: string;
  fingerprint: string;
  labels: string;
  from: AlertState;
  to: AlertState;
  severity: Severity;
  summary: string;
}

export interface StateStep {
  /** Rows to insert or replace. */
  upserts: InstanceRow[];
  /** Instances that went back to inactive (their row is deleted; the history keeps them). */
  deletes: { rule: string; fingerprint: string }[];
  transitions: Transition[];
}

/** One step of one rule at `now` (epoch s). Call it only when the rule ran successfully. */
export function stepRule(rule: Pick<RuleDef, 'name' | 'forSeconds' | 'keepFiringForSeconds'>, previous: ReadonlyMap<string, InstanceRow>, matches: ReadonlyMap<string, Match>, now: number): StateStep {
  const step: StateStep = { upserts: [], deletes: [], transitions: [] };
  const move = (row: InstanceRow, from: AlertState) =>
    step.transitions.push({ rule: rule.name, fingerprint: row.fingerprint, labels: row.labels, from, to: row.state, severity: row.severity, summary: row.summary });

  for (const [fp, m] of matches) {
    const prev = previous.get(fp);
    const labels = JSON.stringify(m.labels);
    if (!prev || prev.state === 'resolved') {
      const firing = rule.forSeconds === 0;
      const row: InstanceRow = {
        rule: rule.name, fingerprint: fp, labels, state: firing ? 'firing' : 'pending', severity: m.severity, summary: m.summary,
        active_since: now, firing_since: firing ? now : null, cleared_at: null, resolved_at: null,
        muted: prev?.muted ?? null, notified: prev?.notified ?? null, notified_at: prev?.notified_at ?? null, updated_at: now,
      };
      step.upserts.push(row);
      move(row, prev ? 'resolved' : 'inactive');
    } else if (prev.state === 'pending') {
      if (now - (prev.active_since ?? now) >= rule.forSeconds) {
        const row: InstanceRow = { ...prev, state: 'firing', firing_since: now, severity: m.severity, summary: m.summary, updated_at: now };
        step.upserts.push(row);
        move(row, 'pending');
      }
    } else if (prev.cleared_at !== null) {
      // firing, and the condition holds again within keepFiringFor: an edge, not a transition
      step.upserts.push({ ...prev, cleared_at: null, updated_at: now });
    }
  }

  for (const [fp, prev] of previous) {
    if (matches.has(fp) || prev.state === 'resolved') continue;
    if (prev.state === 'pending') {
      step.deletes.push({ rule: rule.name, fingerprint: fp });
      step.transitions.push({ rule: rule.name, fingerprint: fp, labels: prev.labels, from: 'pending', to: 'inactive', severity: prev.severity, summary: prev.summary });
      continue;
    }
    const clearedAt = prev.cleared_at ?? now;
    if (now - clearedAt >= rule.keepFiringForSeconds) {
      const row: InstanceRow = { ...prev, state: 'resolved', resolved_at: now, cleared_at: null, updated_at: now };
      step.upserts.push(row);
      move(row, 'firing');
    } else if (prev.cleared_at === null) {
      step.upserts.push({ ...prev, cleared_at: now, updated_at: now });
    }
  }
  return step;
}
