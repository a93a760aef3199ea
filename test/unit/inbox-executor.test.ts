import { describe, expect, it } from 'vitest';
import { createExecutor } from '../../agent/inbox/executor.ts';

const tick = () => new Promise((r) => setTimeout(r, 5));

describe('createExecutor', () => {
  it('runs jobs of one guest strictly one after another, in order', async () => {
    const ex = createExecutor({ concurrency: 4, onError: () => undefined });
    const log: string[] = [];
    let active = 0;
    let maxActive = 0;
    for (let i = 0; i < 5; i++) {
      ex.submit('c/101', `a${i}`, async () => {
        active++;
        maxActive = Math.max(maxActive, active);
        log.push(`start ${i}`);
        await tick();
        log.push(`end ${i}`);
        active--;
      });
    }
    await ex.idle();
    expect(maxActive).toBe(1);
    expect(log).toEqual([0, 1, 2, 3, 4].flatMap((i) => [`start ${i}`, `end ${i}`]));
  });

  it('runs different guests in parallel, never more than the bound', async () => {
    const ex = createExecutor({ concurrency: 3, onError: () => undefined });
    let active = 0;
    let maxActive = 0;
    for (let i = 0; i < 10; i++) {
      ex.submit(`c/${100 + i}`, `a${i}`, async () => {
        active++;
        maxActive = Math.max(maxActive, active);
        await tick();
        active--;
      });
    }
    await ex.idle();
    expect(maxActive).toBe(3);
  });

  it('ignores a second submit of the same id and survives a failing job', async () => {
    const errors: string[] = [];
    const ex = createExecutor({ concurrency: 1, onError: (id) => errors.push(id) });
    let runs = 0;
    ex.submit('k', 'x', async () => {
      runs++;
      throw new Error('boom');
    });
    ex.submit('k', 'x', async () => {
      runs++;
    });
    ex.submit('k', 'y', async () => {
      runs++;
    });
    await ex.idle();
    expect(runs).toBe(2);
    expect(errors).toEqual(['x']);
  });
});
