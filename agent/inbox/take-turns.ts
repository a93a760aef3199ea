// Pure: which submitters get an intake lane next — owners in ascending uid order, continuing after
// the one served last, so re-listing new/ often does not favour the lowest uid.

/** The owners in turn, starting with the first one after `after` (wrapping around). */
export function ownersInTurn(owners: readonly number[], after?: number): number[] {
  const sorted = [...new Set(owners)].sort((a, b) => a - b);
  if (after === undefined) return sorted;
  const i = sorted.findIndex((o) => o > after);
  return i <= 0 ? sorted : [...sorted.slice(i), ...sorted.slice(0, i)];
}
