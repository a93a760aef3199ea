// `pmi-agent rules backtest RULE [--since 30d]`: replays one rule over the stored history with the
// same state machine as the live engine (for, keepFiringFor) and reports each firing and how often.
// Resolution follows the history: the poll interval where raw samples exist (48 h by default),
// 5 minutes where the 5-minute tier does (30 days), an hour beyond (400 days).
import type SqliteDatabase from 'better-sqlite3';
import { installBacktestViews, runAt, setBacktestClock, tierStarts, type Tier } from '../store/backtest-views.ts';
import { stepRule, type InstanceRow } from './alert-state.ts';
import { toMatches } from './rule-matches.ts';
import { parametersOf } from './rules/check-rules.ts';
import type { RuleDef } from './rules/rule-file.ts';
import { formatDuration } from './rules/parse-duration.ts';

export interface Firing {
  labels: Record<string, string>;
  summary: string;
  firedAt: number;
  /** null: still firing at the end of the replay. */
  resolvedAt: number | null;
}

export interface BacktestResult {
  from: number;
  to: number;
  steps: Record<Tier, number>;
  firings: Firing[];
}

const STEP: Record<Tier, number> = { raw: 0, '5m': 300, '1h': 3600 };
const LOOKBACK: Record<Tier, number> = { raw: 0, '5m': 300, '1h': 3600 };

export function backtestRule(sqlite: SqliteDatabase.Database, rule: RuleDef, o: { sinceSeconds: number; intervalSeconds: number }): BacktestResult {
  const starts = tierStarts(sqlite);
  const to = starts.end ?? 0;
  const from = to - o.sinceSeconds;
  const tierAt = (t: number): Tier => (starts.raw !== null && t >= starts.raw ? 'raw' : starts.fiveMinute !== null && t >= starts.fiveMinute ? '5m' : '1h');
  const step = (tier: Tier) => (tier === 'raw' ? o.intervalSeconds : STEP[tier]);
  const lookback = (tier: Tier) => (tier === 'raw' ? 3 * o.intervalSeconds : LOOKBACK[tier]);
  const used = new Set(parametersOf(rule.sql).map((p) => p.name));
  const steps: Record<Tier, number> = { raw: 0, '5m': 0, '1h': 0 };
  let state = new Map<string, InstanceRow>();
  const open = new Map<string, Firing>();
  const firings: Firing[] = [];
  let current: Tier | undefined;
  for (let t = tierAt(from) === 'raw' ? from : from - (from % step(tierAt(from))); t <= to; ) {
    const tier = tierAt(t);
    if (tier !== current) {
      installBacktestViews(sqlite, tier);
      current = tier;
    }
    setBacktestClock(sqlite, t, lookback(tier));
    const params = Object.fromEntries(Object.entries({ now: t, interval: o.intervalSeconds }).filter(([k]) => used.has(k)));
    const { matches } = toMatches(rule, runAt(sqlite, rule.sql, params));
    const s = stepRule(rule, state, matches, t);
    state = new Map(state);
    for (const u of s.upserts) state.set(u.fingerprint, u);
    for (const d of s.deletes) state.delete(d.fingerprint);
    for (const tr of s.transitions) {
      if (tr.to === 'firing') {
        const f: Firing = { labels: JSON.parse(tr.labels) as Record<string, string>, summary: tr.summary, firedAt: t, resolvedAt: null };
        open.set(tr.fingerprint, f);
        firings.push(f);
      } else if (tr.to === 'resolved') {
        const f = open.get(tr.fingerprint);
        if (f) f.resolvedAt = t;
        open.delete(tr.fingerprint);
      }
    }
    steps[tier]++;
    t += step(tier);
  }
  return { from, to, steps, firings };
}

const iso = (s: number) => new Date(s * 1000).toISOString().slice(0, 16).replace('T', ' ');

/** The median of the closed firings' durations, seconds (undefined when none closed). */
export function medianDuration(firings: readonly Firing[]): number | undefined {
  const d = firings.filter((f) => f.resolvedAt !== null).map((f) => f.resolvedAt! - f.firedAt).sort((a, b) => a - b);
  if (d.length === 0) return undefined;
  const mid = Math.floor(d.length / 2);
  return d.length % 2 ? d[mid]! : (d[mid - 1]! + d[mid]!) / 2;
}

/** The report: one line per firing, then the summary line. */
export function formatBacktest(rule: RuleDef, r: BacktestResult): string {
  const lines = [`${rule.name}: replayed ${iso(r.from)} → ${iso(r.to)} UTC (steps: ${r.steps.raw} raw, ${r.steps['5m']} at 5 min, ${r.steps['1h']} at 1 h)`];
  for (const f of r.firings) {
    const labels = Object.entries(f.labels).map(([k, v]) => `${k}=${v}`).join(' ');
    lines.push(`  ${iso(f.firedAt)} → ${f.resolvedAt === null ? 'still firing     ' : iso(f.resolvedAt)}  ${f.resolvedAt === null ? '' : formatDuration(f.resolvedAt - f.firedAt).padEnd(6)} ${labels}`);
  }
  const n = r.firings.length;
  const med = medianDuration(r.firings);
  const still = r.firings.filter((f) => f.resolvedAt === null).length;
  lines.push(`would have fired ${n} time${n === 1 ? '' : 's'}${med !== undefined ? `, median ${formatDuration(med)}` : ''}${still ? `, ${still} still firing at the end` : ''}`);
  return lines.join('\n');
}
