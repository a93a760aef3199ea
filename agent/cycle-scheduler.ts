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

export interface CycleSchedulerDeps {
  intervalSeconds: number;
  run: () => Promise<void>;
  log: Logger;
  /** Where in the interval cycles fire (ms, asked before each one; default 0: on the clock's boundaries). */
  phaseMs?: () => number;
  /** Epoch ms (default Date.now). */
  now?: () => number;
}

/**
 * Fires `run` on the cron schedule, each cycle `phaseMs` after the interval's boundary (agents
 * sharing a database fire at different moments). A cycle still running when the next is due makes
 * that one skip — logged and counted — so cycles never overlap and never pile up. When the phase
 * moved (an agent joined or left) so that a cycle would start less than half an interval after
 * the last one, that boundary passes without a cycle instead of squeezing two together.
 */
export function createCycleScheduler(deps: CycleSchedulerDeps): CycleScheduler {
  const now = deps.now ?? Date.now;
  const intervalMs = deps.intervalSeconds * 1000;
  let task: ScheduledTask | undefined;
  let phaseTimer: NodeJS.Timeout | undefined;
  let lastStart: number | undefined;
  let current: Promise<void> | undefined;
  let skipped = 0;

  function onBoundary(): void {
    const raw = deps.phaseMs?.() ?? 0;
    const phase = ((raw % intervalMs) + intervalMs) % intervalMs;
    const startAt = now() + phase;
    if (lastStart !== undefined && startAt - lastStart < intervalMs / 2) return;
    lastStart = startAt;
    if (phase === 0) {
      void trigger();
      return;
    }
    phaseTimer = setTimeout(() => {
      phaseTimer = undefined;
      void trigger();
    }, phase);
  }

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
      task = cron.schedule(cronExpression(deps.intervalSeconds), onBoundary, { name: 'poll-cycle' });
    },
    async stop() {
      await task?.destroy();
      task = undefined;
      if (phaseTimer) clearTimeout(phaseTimer);
      phaseTimer = undefined;
      await current;
    },
    trigger,
    get skipped() {
      return skipped;
    },
  };
}
