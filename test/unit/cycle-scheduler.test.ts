import { describe, expect, it, vi } from 'vitest';
import { Writable } from 'node:stream';
import { createCycleScheduler, cronExpression } from '../../agent/cycle-scheduler.ts';
import { createLogger } from '../../agent/log/logger.ts';

interface Line { msg?: string; level?: string; err?: { message?: string } }

function sink() {
  const lines: Line[] = [];
  const stream = new Writable({ write(chunk, _e, cb) { lines.push(JSON.parse(String(chunk))); cb(); } });
  return { lines, log: createLogger({ destination: stream }) };
}

describe('cycle scheduler', () => {
  it.each([
    [5, '*/5 * * * * *'],
    [30, '*/30 * * * * *'],
    [60, '0 * * * * *'],
    [300, '0 */5 * * * *'],
    [3600, '0 0 * * * *'],
  ])('interval %i s fires on %s', (s, expr) => expect(cronExpression(s)).toBe(expr));

  it('refuses an interval cron cannot express', () => expect(() => cronExpression(45)).toThrow(/cannot be expressed/));

  it('skips, logs and counts a cycle that is due while one still runs', async () => {
    const { lines, log } = sink();
    let release!: () => void;
    let runs = 0;
    const s = createCycleScheduler({ intervalSeconds: 60, log, run: () => { runs++; return new Promise<void>((r) => (release = r)); } });
    const first = s.trigger();
    expect(await s.trigger()).toBe('skipped');
    expect(await s.trigger()).toBe('skipped');
    release();
    expect(await first).toBe('ran');
    expect(runs).toBe(1);
    expect(s.skipped).toBe(2);
    expect(lines.filter((l) => /still running/.test(l.msg ?? ''))).toHaveLength(2);
    // After the slow cycle ends the next one runs normally.
    const third = s.trigger();
    release();
    expect(await third).toBe('ran');
  });

  it('a failing cycle is logged, not thrown, and does not block the next', async () => {
    const { lines, log } = sink();
    const s = createCycleScheduler({ intervalSeconds: 60, log, run: async () => { throw new Error('boom'); } });
    expect(await s.trigger()).toBe('ran');
    expect(lines.some((l) => l.level === 'error' && l.err?.message === 'boom')).toBe(true);
    expect(await s.trigger()).toBe('ran');
  });

  it('stop() waits for the cycle in progress', async () => {
    const { log } = sink();
    let done = false;
    const s = createCycleScheduler({ intervalSeconds: 60, log, run: () => new Promise<void>((r) => setTimeout(() => { done = true; r(); }, 50)) });
    s.start();
    void s.trigger();
    await s.stop();
    expect(done).toBe(true);
  });
});

describe('cycle scheduler phase (issue 17 item 5)', () => {
  it('fires each cycle its phase after the cron boundary, the phase asked at each boundary', async () => {
    vi.useFakeTimers({ now: 1_800_000_001_000 });
    try {
      const { log } = sink();
      const fired: number[] = [];
      let phase = 12_000;
      const s = createCycleScheduler({ intervalSeconds: 30, log, phaseMs: () => phase, run: async () => { fired.push(Date.now()); } });
      s.start();
      await vi.advanceTimersByTimeAsync(80_000); // to :81
      expect(fired).toEqual([1_800_000_042_000, 1_800_000_072_000]);
      phase = 18_000;
      await vi.advanceTimersByTimeAsync(30_000); // to :111: boundary :90 + 18 s
      expect(fired.slice(2)).toEqual([1_800_000_108_000]);
      // an agent left: phase 0 would start at :120, 12 s after :108, so :120 passes; :150 fires
      phase = 0;
      await vi.advanceTimersByTimeAsync(40_000); // to :151
      await s.stop();
      expect(fired.slice(3)).toEqual([1_800_000_150_000]);
    } finally {
      vi.useRealTimers();
    }
  });

  it('stop() cancels a cycle waiting for its phase', async () => {
    vi.useFakeTimers({ now: 1_800_000_001_000 });
    try {
      const { log } = sink();
      let runs = 0;
      const s = createCycleScheduler({ intervalSeconds: 30, log, phaseMs: () => 20_000, run: async () => { runs++; } });
      s.start();
      await vi.advanceTimersByTimeAsync(35_000); // boundary :30 passed, the cycle waits for :50
      await s.stop();
      await vi.advanceTimersByTimeAsync(60_000);
      expect(runs).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });
});
