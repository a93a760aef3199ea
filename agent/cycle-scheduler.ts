import cron, { type ScheduledTask } from 'node-cron';
import type { Logger } from './log/logger.ts';

/**
 * The cron expression (with seconds) that fires every `intervalSeconds`, aligned to the clock.
 * Intervals must divide a minute, or be whole minutes that divide an hour; anything else
 * cannot be expressed by cron and is refused by the config schema.
 */
export function cronExpression(intervalSeconds: number): string {
  if (intervalSeconds < 60 && 60 % intervalSeconds === 0) return `*/${intervalSeconds} * * * * *`;
  if (intervalSeconds === 3600) return '0 0 * * * *';
  const minutes = intervalSeconds / 60;
  if (Number.isInteger(minutes) && 60 % minutes === 0) return minutes === 1 ? '0 * * * * *' : `0 */${minutes} * * * *`;
  throw new Error(`poll interval ${intervalSeconds}s cannot be expressed as a cron schedule`);
}

/** True when cronExpression() accepts the interval. */
export function isSchedulableInterval(intervalSeconds: number): boolean {
  try {
    cronExpression(intervalSeconds);
    return true;
  } catch {
    return false;
  }
}

export interface CycleScheduler {
  start(): void;
  /** Stops firing; resolves when a cycle in progress has finished. */
  stop(): Promise<void>;
  /** Runs a cycle now unless one is running (then it is skipped, logged and counted). */
  trigger(): Promise<'ran' | 'skipped'>;
  readonly skipped: number;
}

/**
 * Fires `run` on the cron schedule. A cycle still running when the next is due makes that one
 * skip — logged and counted — so cycles never overlap and never pile up.
 */
export function createCycleScheduler(deps: { intervalSeconds: number; run: () => Promise<void>; log: Logger }): CycleScheduler {
  let task: ScheduledTask | undefined;
  let current: Promise<void> | undefined;
  let skipped = 0;

  async function trigger(): Promise<'ran' | 'skipped'> {
    if (current) {
      skipped++;
      deps.log.warn({ skippedCycles: skipped }, 'previous cycle still running: this cycle is skipped');
      return 'skipped';
    }
    current = deps.run().catch((err: unknown) => {
      deps.log.error({ err }, 'cycle failed');
    });
    try {
      await current;
    } finally {
      current = undefined;
    }
    return 'ran';
  }

  return {
    start() {
      task = cron.schedule(cronExpression(deps.intervalSeconds), () => trigger(), { name: 'poll-cycle' });
    },
    async stop() {
      await task?.destroy();
      task = undefined;
      await current;
    },
    trigger,
    get skipped() {
      return skipped;
    },
  };
}
