// Pure: the order in which entries of new/ are taken in — one per owner in turn (name order within
// one owner), so a flood from one submitter delays another's request by one file, not by the flood.

export interface Turns<E extends { uid: number }> {
  /** The next entry, or undefined when all were handed out. */
  next(): E | undefined;
  /** The owner of the entry handed out last (to go on after it when the list is rebuilt). */
  lastOwner(): number | undefined;
}

/**
 * Round-robin over owners in ascending uid order; a rebuilt list continues with the owner after
 * `after`, so re-listing new/ often does not favour the lowest uid.
 */
export function takeTurns<E extends { uid: number }>(entries: readonly E[], after?: number): Turns<E> {
  const byOwner = new Map<number, E[]>();
  for (const e of entries) {
    const q = byOwner.get(e.uid);
    if (q) q.push(e);
    else byOwner.set(e.uid, [e]);
  }
  const owners = [...byOwner.keys()].sort((a, b) => a - b);
  let i = after === undefined ? 0 : owners.findIndex((o) => o > after);
  if (i < 0) i = 0;
  const pos = new Map<number, number>(owners.map((o) => [o, 0]));
  let last: number | undefined = after;
  let left = entries.length;
  return {
    next() {
      if (left === 0) return undefined;
      for (;;) {
        const o = owners[i % owners.length]!;
        i = (i + 1) % owners.length;
        const q = byOwner.get(o)!;
        const p = pos.get(o)!;
        if (p < q.length) {
          pos.set(o, p + 1);
          left--;
          last = o;
          return q[p];
        }
      }
    },
    lastOwner: () => last,
  };
}
