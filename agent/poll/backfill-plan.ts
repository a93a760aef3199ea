// When and how far back to backfill (pve-api.md §3.4, §8). Pure.

/** The pull-metrics cache holds 180 generations of 10 s (§3.4). */
export const METRICS_EXPORT_SECONDS = 1800;
/** A brand-new cluster gets this much history. */
export const NEW_CLUSTER_SECONDS = 86_400;

/** Chooses the rrddata timeframe that still reaches back to fromTs (§8: hour ≈ 60–70 min at 60 s, day ≥ 24 h). */
export function timeframeFor(nowSec: number, fromTs: number): 'hour' | 'day' {
  return nowSec - fromTs <= 3600 ? 'hour' : 'day';
}

/** Where the gap to fill starts, or undefined when there is none. Pure. */
export function gapStart(prevTs: number | undefined, ts: number, intervalSeconds: number): number | undefined {
  if (prevTs === undefined) return ts - NEW_CLUSTER_SECONDS;
  return ts - prevTs > 2 * intervalSeconds ? prevTs : undefined;
}
