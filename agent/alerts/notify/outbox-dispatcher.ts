// Delivers the outbox. Every tick: turn the notification groups that waited their groupWait into
// outbox rows, then send each target's oldest undelivered notification whose retry time has come,
// and on success the next one (in order per target: a receiver down for a while gets everything
// afterwards, oldest first). Each attempt is recorded; a failure backs off (retryBaseMs doubling
// up to retryMaxMs) and is retried forever. Rows live in the database, so a restart loses nothing.
//
// Exactly-once is impossible over HTTP/SMTP: if the agent dies after the receiver got a
// notification but before the success is recorded, it is sent again after the restart with the
// same idempotency key (header and body), which receivers use to drop the duplicate.
import type { Kysely } from 'kysely';
import type { Database } from '../../store/schema.ts';
import { alertsDb, batchIntoOutbox, dueGroups, openEvents, outboxHeads, recordAttempt, type OutboxRow } from '../../store/alerts.repository.ts';
import type { Route } from '../alerts-config.schema.ts';
import type { AlertEvent } from '../notify-plan.ts';
import type { Logger } from '../../log/logger.ts';
import { buildNotification, idempotencyKey, type Notification } from './notification.ts';
import type { Sender } from './senders.ts';

export interface DispatcherDeps {
  db: Kysely<Database>;
  senders: ReadonlyMap<string, Sender>;
  routes: readonly Route[];
  /** Epoch ms. */
  now: () => number;
  log: Logger;
  retryBaseMs: number;
  retryMaxMs: number;
  intervalMs: number;
  /** Called when a notification was delivered (the bench measures latency with it). */
  onDelivered?: (n: Notification, target: string) => void;
  /**
   * leases (#17): whether this agent delivers the fleet's outbox now (the holder of the site
   * lease); the others leave it alone, so a notification is not sent once per agent. Default: always.
   */
  delivers?: () => boolean;
}

export function backoffMs(attempts: number, baseMs: number, maxMs: number): number {
  return Math.min(maxMs, baseMs * 2 ** Math.min(attempts, 30));
}

export function createOutboxDispatcher(d: DispatcherDeps) {
  const db = alertsDb(d.db);
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let again = false;

  const batch = async (nowSec: number) => {
    for (const g of await dueGroups(db, nowSec)) {
      const events = await openEvents(db, g);
      if (events.length === 0) continue;
      const ri = Number(g.groupKey.slice(0, g.groupKey.indexOf(':')));
      const groupBy = d.routes[ri]?.groupBy ?? ['alertname', 'cluster'];
      const key = idempotencyKey(g.target, events.map((e) => e.id));
      const n = buildNotification(key, g.groupKey, groupBy, events.map((e) => e.event as AlertEvent));
      await batchIntoOutbox(db, g, events.map((e) => e.id), key, n, nowSec);
    }
  };

  const deliverTarget = async (head: OutboxRow) => {
    let row: OutboxRow | undefined = head;
    while (row) {
      const nowMs = d.now();
      if (row.nextAttemptAt * 1000 > nowMs) return;
      const sender = d.senders.get(row.target);
      const t0 = performance.now();
      let ok = true;
      let detail: string | null = null;
      try {
        if (!sender) throw new Error(`no target named "${row.target}" in the config`);
        await sender(row.payload as Notification, Math.floor(nowMs / 1000));
      } catch (err) {
        ok = false;
        detail = (err instanceof Error ? err.message : String(err)).slice(0, 500);
      }
      const ts = Math.floor(d.now() / 1000);
      const wait = backoffMs(row.attempts, d.retryBaseMs, d.retryMaxMs);
      await recordAttempt(db, { outboxId: row.id, ts, ok, durationMs: performance.now() - t0, detail, nextAttemptAt: Math.ceil((d.now() + wait) / 1000) });
      if (!ok) {
        d.log.warn({ target: row.target, outboxId: row.id, attempts: row.attempts + 1, retryInMs: wait }, `notification to ${row.target} failed: ${detail}`);
        return;
      }
      d.onDelivered?.(row.payload as Notification, row.target);
      row = (await outboxHeads(db)).find((h) => h.target === head.target);
    }
  };

  const tick = async () => {
    if (d.delivers && !d.delivers()) return;
    await batch(Math.floor(d.now() / 1000));
    const heads = await outboxHeads(db);
    await Promise.all(heads.map((h) => deliverTarget(h)));
  };

  /** Runs one pass now (or right after the one in flight); resolves when it is done. */
  const kick = async (): Promise<void> => {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      try {
        do {
          again = false;
          await tick();
        } while (again);
      } catch (err) {
        d.log.error({ err }, `alert delivery failed: ${err instanceof Error ? err.message : String(err)}`);
      } finally {
        running = undefined;
      }
    })();
    return running;
  };

  return {
    kick,
    start() {
      timer = setInterval(() => void kick(), d.intervalMs);
      timer.unref();
    },
    async stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
      await running;
    },
  };
}
export type OutboxDispatcher = ReturnType<typeof createOutboxDispatcher>;
