// Which slow-tier reads are due this cycle. Every read has a period in cycles; reads sharing a
// period get phases spread evenly over it (by their sorted key), so each cycle carries about
// (reads ÷ period) of them and no cycle a burst. Pure: the same keys give the same plan.

export interface ScheduledRead {
  /** Stable identity, e.g. "cluster1|zfs|pve2". */
  key: string;
  periodCycles: number;
}

/** Cycles per period: periodSeconds / intervalSeconds, rounded, at least 1. */
export function periodCycles(periodSeconds: number, intervalSeconds: number): number {
  return Math.max(1, Math.round(periodSeconds / intervalSeconds));
}

/** The keys due in `cycle` (0, 1, 2, …). */
export function dueReads(cycle: number, reads: readonly ScheduledRead[]): Set<string> {
  const byPeriod = new Map<number, string[]>();
  for (const r of reads) {
    const list = byPeriod.get(r.periodCycles) ?? [];
    list.push(r.key);
    byPeriod.set(r.periodCycles, list);
  }
  const due = new Set<string>();
  for (const [period, keys] of byPeriod) {
    const slot = cycle % period;
    keys.sort();
    keys.forEach((key, i) => {
      if (Math.floor((i * period) / keys.length) === slot) due.add(key);
    });
  }
  return due;
}
