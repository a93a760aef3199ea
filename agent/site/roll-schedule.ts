// Pure: which guest buckets refresh which files this cycle. Spreading the refreshes of 10,000
// guest pages and series files over several cycles (each bucket at its own offset) is what keeps
// an ordinary cycle's writes near 1 KB per guest; live values reach the browser through the small
// per-bucket live files instead.

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

export const DEFAULT_PERIODS: RollPeriods = { rawSeconds: 600, htmlSeconds: 1800, daySeconds: 3600, longSeconds: 43_200 };

export interface BucketRoll {
  raw: number;
  html: number;
  day: number;
  long: number;
}

export type Due = Record<keyof BucketRoll, boolean>;

const KIND_TO_PERIOD: Record<keyof BucketRoll, keyof RollPeriods> = { raw: 'rawSeconds', html: 'htmlSeconds', day: 'daySeconds', long: 'longSeconds' };

/**
 * Phases per kind, chosen so that with evenly spread buckets the html, day and long refreshes
 * of a bucket fall on different cycles (html on slots ≡ 2 mod 3, day ≡ 4 mod 6, long ≡ 0 mod 3
 * at the default periods): a cycle writes at most one kind of big file per bucket turn.
 */
const PHASE: Record<keyof BucketRoll, number> = { raw: 0, html: 1, day: 2, long: 3 };

/**
 * Which files of a bucket are due. Bucket `index` of `count` refreshes a kind when the cycle slot
 * hits its turn (turns spread evenly over the period), when it has never been written, or when its
 * last refresh is overdue (a skipped cycle must not starve it). `changed` forces raw and html.
 */
export function dueFor(opts: { nowSec: number; intervalSeconds: number; index: number; count: number; last: BucketRoll | undefined; changed: boolean; periods: RollPeriods }): Due {
  const { nowSec, intervalSeconds, index, count, last, changed, periods } = opts;
  const slot = Math.floor(nowSec / intervalSeconds);
  const due = {} as Due;
  for (const kind of Object.keys(KIND_TO_PERIOD) as Array<keyof BucketRoll>) {
    const period = periods[KIND_TO_PERIOD[kind]];
    const every = Math.max(1, Math.round(period / intervalSeconds));
    const offset = Math.floor((index * every) / Math.max(1, count)) + PHASE[kind];
    if (!last) due[kind] = true;
    else if ((slot + offset) % every === 0) due[kind] = true;
    else due[kind] = nowSec - last[kind] >= period + 2 * intervalSeconds;
  }
  if (changed) {
    due.raw = true;
    due.html = true;
  }
  return due;
}
