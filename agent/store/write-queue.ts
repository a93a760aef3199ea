// Writes that wait for a locked database without freezing the agent (issue 12 item 9).
//
// better-sqlite3 is synchronous: its busy timeout blocks the event loop for as long as it waits
// (5 s per statement before this change, so a user's open write transaction skipped cycles and
// stalled the inbox). The store now waits only briefly inside SQLite (BUSY_TIMEOUT_MS) and this
// queue retries with backoff between event-loop turns; a write still locked out after that is
// kept, in order, and tried again at the next cycle before newer data (a newer cycle written
// before an older one would look like a backward clock step to the store).
//
// On PostgreSQL (#17) the agents sharing the database can run into each other: a serialization
// failure, a deadlock or a lock not available aborts one transaction, which may simply run again.
// Such a write is retried a few times with a short, jittered backoff (the agents must not meet
// again in step), then kept for later like a locked SQLite write; other errors pass through.
import type { Logger } from '../log/logger.ts';

/** What SQLite may spend waiting for a lock inside one statement (blocking the event loop). */
export const BUSY_TIMEOUT_MS = 100;

/** SQLITE_BUSY / SQLITE_LOCKED and their extended codes: someone else holds the lock. */
export function isLocked(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'));
}

/** SQLITE_FULL: disk (or quota) full; kept for later too, but reported as the failure it is. */
export function isFull(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('SQLITE_FULL');
}

/** SQLSTATEs of a transaction PostgreSQL aborted because of another one: it may simply run again. */
export const PG_CONFLICT_CODES: ReadonlySet<string> = new Set([
  '40001', // serialization_failure
  '40P01', // deadlock_detected
  '55P03', // lock_not_available
]);

/** A PostgreSQL serialization failure, deadlock or lock not available (another agent's transaction). */
export function isPgConflict(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && PG_CONFLICT_CODES.has(code);
}

export interface WriteQueueDeps {
  log: Logger;
  sleep?: (ms: number) => Promise<void>;
  /** Waits between attempts of one write while the database is locked. */
  retryDelaysMs?: readonly number[];
  /** Waits between attempts of one write that conflicted with another agent's transaction (PostgreSQL). */
  conflictDelaysMs?: readonly number[];
  /** 0 ≤ x < 1, for the conflict backoff's jitter (tests). */
  random?: () => number;
  /** Writes kept for later at most; beyond it the oldest is dropped (and said so). */
  maxPending?: number;
}

export type WriteOutcome = 'written' | 'deferred';

interface Job {
  label: string;
  run: () => Promise<unknown>;
}

/** Creates the queue; submit() every store write of a cycle through it. */
export function createWriteQueue(deps: WriteQueueDeps) {
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const delays = deps.retryDelaysMs ?? [100, 200, 400, 800, 1600];
  const conflictDelays = deps.conflictDelaysMs ?? [20, 50, 100, 200, 400];
  const random = deps.random ?? Math.random;
  const maxPending = deps.maxPending ?? 100;
  const pending: Job[] = [];
  /** Why the oldest kept write is still waiting. */
  let waitingFor = '';
  /** The drain running now: stores run side by side on PostgreSQL and must not run a kept write twice. */
  let draining: Promise<void> | undefined;

  /**
   * One write with async backoff while locked (SQLite) or conflicting (PostgreSQL). Resolves
   * undefined once written, or why it was still refused after the last try; any other error is thrown.
   */
  async function attempt(job: Job): Promise<string | undefined> {
    for (let locked = 0, conflicts = 0; ;) {
      try {
        await job.run();
        return undefined;
      } catch (err) {
        if (isPgConflict(err)) {
          if (conflicts >= conflictDelays.length) return `it conflicted with another transaction ${conflicts + 1} times (${(err as { code: string }).code})`;
          const base = conflictDelays[conflicts++]!;
          deps.log.debug({ write: job.label, code: (err as { code: string }).code, attempt: conflicts }, `database write ${job.label} conflicted with another transaction: trying again`);
          await sleep(Math.round(base * (0.5 + random())));
          continue;
        }
        if (!isLocked(err)) throw err;
        if (locked >= delays.length) return 'the database is locked by another writer';
        await sleep(delays[locked++]!);
      }
    }
  }

  function keep(job: Job, reason: string): void {
    if (!pending.length) waitingFor = reason;
    pending.push(job);
    while (pending.length > maxPending) {
      const lost = pending.shift()!;
      deps.log.error({ write: lost.label, maxPending }, `database write ${lost.label} dropped: ${maxPending} writes were already waiting for the database`);
    }
    deps.log.warn({ write: job.label, pending: pending.length, reason }, `database write ${job.label} kept for later (${reason}); ${pending.length} waiting`);
  }

  /** Runs the writes kept from earlier cycles, oldest first, one drain at a time; stops at the first still locked out. */
  function drain(): Promise<void> {
    return (draining ??= drainPending().finally(() => (draining = undefined)));
  }

  async function drainPending(): Promise<void> {
    while (pending.length) {
      const job = pending[0]!;
      let refused: string | undefined;
      try {
        refused = await attempt(job);
      } catch (err) {
        if (isFull(err)) throw err; // stays queued: space may come back
        pending.shift();
        deps.log.error({ write: job.label, err }, `database write ${job.label} kept from earlier failed for good: ${(err as Error).message}`);
        continue;
      }
      if (refused) {
        waitingFor = refused;
        return;
      }
      pending.shift();
      deps.log.info({ write: job.label, pending: pending.length }, `database write ${job.label} kept from earlier is now stored`);
    }
  }

  return {
    /**
     * Writes now if the database lets us (after the writes kept from earlier), else keeps the write
     * for later and resolves 'deferred'. Disk full: kept too, and the real SQLITE_FULL is thrown.
     * Any other error is thrown and the write is not kept.
     */
    async submit(label: string, run: () => Promise<unknown>): Promise<WriteOutcome> {
      const job = { label, run };
      await drain().catch((err: unknown) => {
        if (!isFull(err)) throw err;
      });
      if (pending.length) {
        keep(job, `earlier writes are still waiting: ${waitingFor}`);
        return 'deferred';
      }
      let refused: string | undefined;
      try {
        refused = await attempt(job);
      } catch (err) {
        if (isFull(err)) keep(job, 'disk full');
        throw err;
      }
      if (!refused) return 'written';
      keep(job, refused);
      return 'deferred';
    },
    /** Tries the writes kept from earlier once more (at stop); resolves with how many are still waiting. */
    async flush(): Promise<number> {
      await drain().catch((err: unknown) => deps.log.error({ err }, `database writes kept from earlier failed: ${(err as Error).message}`));
      return pending.length;
    },
    /** Writes waiting for the database. */
    pending: () => pending.length,
  };
}
