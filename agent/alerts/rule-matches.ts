// A rule's result rows → its instances (pure).
import type { Match } from './alert-state.ts';
import { SEVERITIES, type RuleDef, type Severity } from './rules/rule-file.ts';

const text = (v: unknown): string => (v === null || v === undefined ? '' : typeof v === 'number' && !Number.isInteger(v) ? String(Math.round(v * 1000) / 1000) : String(v));

/** Fills `{{column}}` placeholders from a row (numbers rounded to 3 decimals, null → empty). */
export function renderSummary(template: string, row: Record<string, unknown>): string {
  return template.replace(/\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g, (_, k: string) => text(row[k]));
}

/** The instances of one evaluation; a bad severity value counts as warning and is reported. */
export function toMatches(rule: RuleDef, rows: readonly Record<string, unknown>[]): { matches: Map<string, Match>; problems: string[] } {
  const matches = new Map<string, Match>();
  const problems = new Set<string>();
  for (const row of rows) {
    const labels: Record<string, string> = {};
    for (const l of rule.labels) labels[l] = text(row[l]);
    const fingerprint = JSON.stringify(labels);
    if (matches.has(fingerprint)) continue;
    let severity: Severity = rule.severity ?? 'warning';
    if (!rule.severity) {
      const s = row.severity;
      if ((SEVERITIES as readonly unknown[]).includes(s)) severity = s as Severity;
      else problems.add(`severity column returned ${JSON.stringify(s)}; counted as warning`);
    }
    matches.set(fingerprint, { fingerprint, labels, severity, summary: renderSummary(rule.summary, row) });
  }
  return { matches, problems: [...problems] };
}
