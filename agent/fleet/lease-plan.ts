// What an agent does with its leases at one tick, from the rows it just read. Pure.
export interface LeaseRow {
  cluster: string;
  holder: string;
  acquiredMs: number;
  renewedMs: number;
  expiresMs: number;
  releasedMs: number | null;
}

export interface LeasePlanInput {
  me: string;
  /** The leases this agent may hold: its configured clusters and the site lease. */
  wanted: readonly string[];
  leases: readonly LeaseRow[];
  nowMs: number;
  leaseMs: number;
  /**
   * This agent is alone on the database (not `agent.shared`): it takes every wanted lease at once,
   * even one another id still holds (a renamed host, a copied database).
   */
  force: boolean;
}

export interface LeaseAcquire {
  name: string;
  /** The row as read (compare-and-set on holder and expiry), or undefined when there is none. */
  prev?: LeaseRow;
  reason: 'acquired' | 'handover' | 'expired' | 'forced';
}

export interface LeasePlan {
  /** Leases of this agent that are valid now, before any acquisition. */
  held: string[];
  /** Renew every lease of this agent: half of the lease has passed for one of them. */
  renew: boolean;
  acquire: LeaseAcquire[];
}

/** A lease is free when nobody holds it, its holder released it, or it expired. */
export function isFree(l: LeaseRow, nowMs: number): boolean {
  return l.releasedMs !== null || l.expiresMs <= nowMs;
}

/** Decides renewals and acquisitions; renewing only after half the lease keeps the writes to one per half lease. */
export function planLeases(p: LeasePlanInput): LeasePlan {
  const byName = new Map(p.leases.map((l) => [l.cluster, l]));
  const held: string[] = [];
  const acquire: LeaseAcquire[] = [];
  let renew = false;
  for (const name of p.wanted) {
    const l = byName.get(name);
    if (!l) {
      acquire.push({ name, reason: 'acquired' });
      continue;
    }
    if (l.holder === p.me && !isFree(l, p.nowMs)) {
      held.push(name);
      if (l.renewedMs + p.leaseMs / 2 <= p.nowMs) renew = true;
      continue;
    }
    if (l.holder === p.me) {
      // ours but lapsed (a stall longer than the lease) or released by an earlier run: take it back
      acquire.push({ name, prev: l, reason: l.releasedMs !== null ? 'handover' : 'expired' });
      continue;
    }
    if (l.releasedMs !== null) acquire.push({ name, prev: l, reason: 'handover' });
    else if (l.expiresMs <= p.nowMs) acquire.push({ name, prev: l, reason: 'expired' });
    else if (p.force) acquire.push({ name, prev: l, reason: 'forced' });
  }
  return { held, renew, acquire };
}
