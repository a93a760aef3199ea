// charts (#14, #16 item 7): `data/alert-marks.json`, the firing intervals of the last 366 days that
// the charts of a guest or node draw as bands (site-templates/assets/charts.js picks the intervals
// whose labels name its cluster and vmid, or its cluster and node without a vmid). Pure.
import type { FiringInterval } from '../../store/alerts.repository.ts';

export const ALERT_MARKS_DAYS = 366;
export const ALERT_MARKS_LIMIT = 5000;

export interface AlertMark { rule: string; severity: string; labels: Record<string, string>; from: number; to: number | null }

export function buildAlertMarks(rows: readonly FiringInterval[]): string {
  const intervals: AlertMark[] = [];
  for (const r of rows) {
    let labels: Record<string, string> = {};
    try {
      const parsed = JSON.parse(r.labels) as unknown;
      if (parsed && typeof parsed === 'object') labels = Object.fromEntries(Object.entries(parsed).map(([k, v]) => [k, String(v)]));
    } catch {
      continue; // a malformed label set names nobody's chart
    }
    intervals.push({ rule: r.rule, severity: r.severity, labels, from: r.from, to: r.to });
  }
  return JSON.stringify({ v: 1, intervals });
}
