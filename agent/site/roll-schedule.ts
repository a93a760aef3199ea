// The plan stage, pure: (persisted state, what the live release has, clock) → which files are due.
// planFleet covers the fleet files (node pages, digest-keyed pages, node/storage/cluster tier
// files); dueFor the guest buckets: which guest buckets refresh which files this cycle. Spreading the refreshes of 10,000
// guest pages and series files over several cycles (each bucket at its own offset) is what keeps
// an ordinary cycle's writes near 1 KB per guest; live values reach the browser through the small
// per-bucket live files instead.
import { SOURCE_TIERS } from './encode-series.ts';
import { paths } from './site-paths.ts';

export interface RollPeriods {
  /** Guest JSON with the raw (1 h) series. */
  rawSeconds: number;
  /** Guest HTML pages. */
  htmlSeconds: number;
  /** 24 h file (5-minute tier). */
  daySeconds: number;
  /** 7 d / 30 d / 1 y file (hourly tier). */
  longSeconds: number;
}

export const DEFAULT_PERIODS: RollPeriods = { rawSeconds: 600, htmlSeconds: 3600, daySeconds: 3600, longSeconds: 43_200 };

/**
 * Parts per bucket (by vmid % parts). html and day refreshes ride on every n-th raw turn of a
 * part (n = 6 with the default periods), each part at its own phase; with a multiple of n parts,
 * every raw turn of a bucket refreshes exactly one n-th of its pages and day files, so each
 * cycle writes about the same amount. (With 8 parts, as before, a cycle refreshed one or two
 * parts: the day files alone varied between ~60 and ~210 KB per cycle at 1,000 guests.)
 */
export function partsFor(periods: RollPeriods, intervalSeconds: number): number {
  const rawEvery = Math.max(1, Math.round(periods.rawSeconds / intervalSeconds));
  const turns = (period: number) => Math.max(1, Math.round(period / (rawEvery * intervalSeconds)));
  const a = turns(periods.htmlSeconds);
  const b = turns(periods.daySeconds);
  const lcm = (a * b) / gcd(a, b);
  return lcm <= 12 ? lcm : Math.min(12, Math.max(a, b));
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

export interface BucketRoll {
  raw: number;
  html: number;
  day: number;
  long: number;
}

export type Due = Record<keyof BucketRoll, boolean>;

const KIND_TO_PERIOD: Record<keyof BucketRoll, keyof RollPeriods> = { raw: 'rawSeconds', html: 'htmlSeconds', day: 'daySeconds', long: 'longSeconds' };

/**
 * Bigger refreshes ride on a raw refresh of the same part (so a bucket gets one new version per
 * turn, not one per kind), on every n-th turn, at phases chosen so that html and day of one part
 * never fall on the same turn.
 */
const PHASE: Record<Exclude<keyof BucketRoll, 'raw'>, number> = { html: 0, day: 3, long: 1 };

/**
 * Which files of one part of a bucket are due. Position `index` of `count` (bucket × part) gets
 * its raw turn once per raw period (turns spread evenly over the cycles); html, day and long are
 * refreshed on every n-th of those turns. A part is also due when never written, when a refresh is
 * overdue (skipped cycles must not starve it), and `changed` forces raw and html.
 * `turn` (position `index` of `count` in the order of turns; default the part's own) lets the
 * parts of one bucket take their raw turn in the same cycle, each still at its own html/day phase.
 */
export function dueFor(opts: { nowSec: number; intervalSeconds: number; index: number; count: number; turn?: { index: number; count: number }; last: BucketRoll | undefined; changed: boolean; periods: RollPeriods }): Due {
  const { nowSec, intervalSeconds, index, count, last, changed, periods } = opts;
  if (!last) return { raw: true, html: true, day: true, long: true };
  const slot = Math.floor(nowSec / intervalSeconds);
  const rawEvery = Math.max(1, Math.round(periods.rawSeconds / intervalSeconds));
  const at = opts.turn ?? { index, count };
  const offset = Math.floor((at.index * rawEvery) / Math.max(1, at.count));
  const turn = (slot + offset) % rawEvery === 0;
  const turnNo = Math.floor((slot + offset) / rawEvery);
  const overdue = (kind: keyof BucketRoll, period: number) => nowSec - last[kind] >= period + 2 * intervalSeconds;
  const due: Due = { raw: turn || overdue('raw', periods.rawSeconds), html: false, day: false, long: false };
  for (const kind of ['html', 'day', 'long'] as const) {
    const period = periods[KIND_TO_PERIOD[kind]];
    const turns = Math.max(1, Math.round(period / (rawEvery * intervalSeconds)));
    due[kind] = (turn && (turnNo + PHASE[kind] + index) % turns === 0) || overdue(kind, period);
  }
  if (changed) {
    due.raw = true;
    due.html = true;
  }
  return due;
}

/** What the plan of the fleet files keeps between builds (persisted with each release). */
export interface FleetPlanState {
  /** When the node, storage and cluster tier files were last written (day: 24 h file; long: 7 d/30 d/1 y). */
  nodeRoll: { day: number; long: number };
  /** Node pages: when last rendered and the digest of what they showed. */
  nodePages: Map<string, { ts: number; digest: string }>;
  /** Pages without live values: the digest of the model they were rendered from. */
  pageDigests: Map<string, string>;
}

export interface FleetPlan {
  /** Whether the day and long tier files are due this build. */
  tiers: { day: boolean; long: boolean };
  /** The same for one group of tier files (a cluster's nodes, the clusters): all of them when one's day file is missing. */
  tiersFor(dayPaths: string[]): { day: boolean; long: boolean };
  /** Whether node page `path` (position `index`, model digest `digest`) is rendered now (else kept). */
  nodePage(path: string, index: number, digest: string): boolean;
  /** Whether a page whose model hashes to `digest` is rendered now (else kept). */
  page(path: string, digest: string): boolean;
  /** The state to persist once this build is published (filled in as the pages are asked for). */
  next: FleetPlanState;
}

/**
 * Plans the fleet files of one build. `full`: everything is due (no state, or an in-memory build);
 * `has`: whether the live release has a file. Node pages are staggered over half the html period
 * (each at its own slot) and rendered at once when what they show changed.
 */
export function planFleet(state: FleetPlanState, o: { nowSec: number; intervalSeconds: number; periods: RollPeriods; full: boolean; has: (path: string) => boolean }): FleetPlan {
  const { nowSec, periods, full, has } = o;
  const tiers = {
    day: full || nowSec - state.nodeRoll.day >= periods.daySeconds || !has(paths.storageSeries),
    long: full || nowSec - state.nodeRoll.long >= periods.longSeconds,
  };
  const next: FleetPlanState = {
    nodeRoll: { day: tiers.day ? nowSec : state.nodeRoll.day, long: tiers.long ? nowSec : state.nodeRoll.long },
    nodePages: new Map(),
    pageDigests: new Map(),
  };
  const nodeEvery = Math.max(1, Math.round(periods.htmlSeconds / 2 / o.intervalSeconds));
  const slot = Math.floor(nowSec / o.intervalSeconds);
  return {
    tiers,
    tiersFor(dayPaths) {
      const missing = dayPaths.some((p) => !has(p));
      return { day: tiers.day || missing, long: tiers.long || missing };
    },
    next,
    nodePage(path, index, digest) {
      const last = state.nodePages.get(path);
      const due = full || !has(path) || !last || last.digest !== digest || (slot + index) % nodeEvery === 0 || nowSec - last.ts >= periods.htmlSeconds;
      next.nodePages.set(path, due ? { ts: nowSec, digest } : last!);
      return due;
    },
    page(path, digest) {
      next.pageDigests.set(path, digest);
      return full || !has(path) || state.pageDigests.get(path) !== digest;
    },
  };
}

/** The tier query behind a file-level source, for a build at nowSec (bucket-aligned start). */
export function tierQuery(src: keyof typeof SOURCE_TIERS, nowSec: number): { tier: '5m' | '1h'; from: number; group: number } {
  const s = SOURCE_TIERS[src];
  return { tier: s.tier, from: Math.floor((nowSec - s.seconds) / s.group) * s.group, group: s.group };
}
