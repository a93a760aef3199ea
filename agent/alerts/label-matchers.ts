// Label matchers (routes, silences), pure. An alert's labels are its instance labels plus
// `alertname` (the rule) and `severity`.
import type { LabelMatcher } from './alerts-config.schema.ts';

/** True when every matcher holds; a missing label counts as the empty string (as in Alertmanager). */
export function matchesAll(labels: Readonly<Record<string, string>>, matchers: readonly LabelMatcher[]): boolean {
  return matchers.every((m) => {
    const v = labels[m.label] ?? '';
    switch (m.op) {
      case '=': return v === m.value;
      case '!=': return v !== m.value;
      case '=~': return new RegExp(`^(?:${m.value})$`).test(v);
      case '!~': return !new RegExp(`^(?:${m.value})$`).test(v);
    }
  });
}

/** `a="x", b=~"y"` for logs and pages. */
export function formatMatchers(matchers: readonly LabelMatcher[]): string {
  return matchers.map((m) => `${m.label}${m.op}${JSON.stringify(m.value)}`).join(', ');
}

/** The labels an alert is routed and silenced by. */
export function alertLabels(rule: string, severity: string, instanceLabels: Readonly<Record<string, string>>): Record<string, string> {
  return { ...instanceLabels, alertname: rule, severity };
}
