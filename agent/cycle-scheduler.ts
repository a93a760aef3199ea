import type { Logger } from './log/logger.ts';

/**
 * The cron expression (with seconds) that fires every `intervalSeconds`, aligned to the clock:
 * the schedule of an agent with phase 0 (nextFireMs). Intervals must divide a minute, or be whole
 * minutes that divide an hour; anything else is refused by the config schema.
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

/**
 * The next firing time (epoch ms) after `nowMs`: an interval boundary of the clock plus `phaseMs`
 * (what cronExpression() fires on when the phase is 0). When `lastFireMs` is given the next one is
 * at least half an interval after it, so a phase that moved (an agent joined or left the fleet)
 * does not squeeze two cycles together.
 */
export function nextFireMs(nowMs: number, intervalMs: number, phaseMs: number, lastFireMs?: number): number {
  const p = ((phaseMs % intervalMs) + intervalMs) % intervalMs;
  let t = Math.floor((nowMs - p) / intervalMs) * intervalMs + p;
  while (t <= nowMs || (lastFireMs !== undefined && t - lastFireMs < intervalMs / 2)) t += intervalMs;
  return t;
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
 * Fires `run` every interval at the interval's boundaries plus the phase. A cycle still running
 * when the next is due makes that one skip — logged and counted — so cycles never overlap and
 * never pile up.
 */
export function createCycleScheduler(deps: CycleSchedulerDeps): CycleScheduler {
  const now = deps.now ?? Date.now;
  const intervalMs = deps.intervalSeconds * 1000;
  let timer: NodeJS.Timeout | undefined;
  let running = false;
  let lastFire: number | undefined;
  let current: Promise<void> | undefined;
  let skipped = 0;

  function arm(): void {
    if (!running) return;
    const t = now();
    const at = nextFireMs(t, intervalMs, deps.phaseMs?.() ?? 0, lastFire);
    timer = setTimeout(() => {
      lastFire = at;
      arm();
      void trigger();
    }, at - t);
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
      running = true;
      arm();
    },
    async stop() {
      running = false;
      if (timer) clearTimeout(timer);
      timer = undefined;
      await current;
    },
    trigger,
    get skipped() {
      return skipped;
    },
  };
}
