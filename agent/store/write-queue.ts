// Writes that wait for a locked database without freezing the agent (issue 12 item 9).
//
// better-sqlite3 is synchronous: its busy timeout blocks the event loop for as long as it waits
// (5 s per statement before this change, so a user's open write transaction skipped cycles and
// stalled the inbox). The store now waits only briefly inside SQLite (BUSY_TIMEOUT_MS) and this
// queue retries with backoff between event-loop turns; a write still locked out after that is
// kept, in order, and tried again at the next cycle before newer data (a newer cycle written
// before an older one would look like a backward clock step to the store).
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

export interface WriteQueueDeps {
  log: Logger;
  sleep?: (ms: number) => Promise<void>;
  /** Waits between attempts of one write while the database is locked. */
  retryDelaysMs?: readonly number[];
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
  const maxPending = deps.maxPending ?? 100;
  const pending: Job[] = [];

  /** One write with async backoff while locked. Resolves false when still locked after the last try. */
  async function attempt(job: Job): Promise<boolean> {
    for (let i = 0; ; i++) {
      try {
        await job.run();
        return true;
      } catch (err) {
        if (!isLocked(err)) throw err;
        if (i >= delays.length) return false;
        await sleep(delays[i]!);
      }
    }
  }

  function keep(job: Job, reason: string): void {
    pending.push(job);
    while (pending.length > maxPending) {
      const lost = pending.shift()!;
      deps.log.error({ write: lost.label, maxPending }, `database write ${lost.label} dropped: ${maxPending} writes were already waiting for the database`);
    }
    deps.log.warn({ write: job.label, pending: pending.length, reason }, `database write ${job.label} kept for later (${reason}); ${pending.length} waiting`);
  }

  /** Runs the writes kept from earlier cycles, oldest first; stops at the first still locked out. */
  async function drain(): Promise<void> {
    while (pending.length) {
      const job = pending[0]!;
      let ok: boolean;
      try {
        ok = await attempt(job);
      } catch (err) {
        if (isFull(err)) throw err; // stays queued: space may come back
        pending.shift();
        deps.log.error({ write: job.label, err }, `database write ${job.label} kept from earlier failed for good: ${(err as Error).message}`);
        continue;
      }
      if (!ok) return;
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
        keep(job, 'the database is still locked by another writer');
        return 'deferred';
      }
      try {
        if (await attempt(job)) return 'written';
      } catch (err) {
        if (isFull(err)) keep(job, 'disk full');
        throw err;
      }
      keep(job, 'the database is locked by another writer');
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
