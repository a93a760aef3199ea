// The site's one JSON encoder: every JSON file is a value handed to toJson. The only pieces not
// built as values are chart series bodies, which encode-series.ts prints straight from the
// store's pre-encoded columns (the hot path of a build); they are embedded as RawJson values.
import { groupPoints, seriesJson, type Point } from './encode-series.ts';

/** A JSON text produced by the series encoder, embedded as it is. Allowed as a property value only. */
export class RawJson {
  constructor(readonly text: string) {}
  toJSON(): never {
    throw new Error('RawJson is allowed as an object property only (not inside arrays or class instances)');
  }
}

const isPlain = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype;

/** Whether a RawJson stands among the (nested) properties of `v`. */
function hasRaw(v: Record<string, unknown>): boolean {
  for (const k in v) {
    const x = v[k];
    if (x instanceof RawJson || (isPlain(x) && hasRaw(x))) return true;
  }
  return false;
}

/**
 * JSON text of `v`; RawJson property values are embedded as they are, undefined properties left
 * out. Values without RawJson go to JSON.stringify whole (the guest documents of a full build).
 */
export function toJson(v: unknown): string {
  if (v instanceof RawJson) return v.text;
  if (!isPlain(v) || !hasRaw(v)) return JSON.stringify(v) ?? 'null';
  let out = '';
  for (const [k, x] of Object.entries(v)) {
    if (x === undefined || typeof x === 'function') continue;
    out += `${out ? ',' : ''}${JSON.stringify(k)}:${toJson(x)}`;
  }
  return `{${out}}`;
}

/** A metric of a series built from points: its name and how a value prints (sig3, mib, …). */
export type MetricEncoder = readonly [name: string, encode: (x: number | null) => string];

/**
 * A series (DATA-FORMAT.md) from points built in TypeScript: grouped to at most MAX_POINTS and
 * encoded like the store's tier series. `v[k]` of each point is metric k.
 */
export function pointSeries(points: Point[], metrics: readonly MetricEncoder[]): RawJson {
  const g = groupPoints(points);
  const t0 = g[0]?.ts ?? 0;
  const offsets = g.map((p) => p.ts - t0);
  const step = offsets.length > 1 ? offsets[1]! : 1;
  const regular = step > 0 && offsets.every((o, k) => o === k * step);
  const cols: Record<string, string> = {};
  // Empty is decided here, on the points: a series without any has no metric columns.
  if (g.length > 0) metrics.forEach(([name, enc], k) => (cols[name] = g.map((p) => enc(p.v[k] ?? null)).join(',')));
  return new RawJson(seriesJson({ t0, step: regular ? step : 1, i: regular ? offsets.map((_, k) => k).join(',') : offsets.join(','), metrics: cols }));
}
