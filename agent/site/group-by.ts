// Grouping rows by a key: one helper for the page models and the guest buckets.

/** Appends `v` to the list under `k`. */
export function pushTo<K, V>(m: Map<K, V[]>, k: K, v: V): void {
  const a = m.get(k);
  if (a) a.push(v);
  else m.set(k, [v]);
}

/** The rows per key, each list in the rows' order. */
export function groupBy<T, K>(rows: Iterable<T>, key: (r: T) => K): Map<K, T[]> {
  const m = new Map<K, T[]>();
  for (const r of rows) pushTo(m, key(r), r);
  return m;
}
