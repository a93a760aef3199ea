// The write queue when the store stage writes clusters side by side (PostgreSQL, poolSize - 1 at
// once): every submit first drains the writes kept from earlier. Regression: each concurrent submit
// ran its own drain over the same head, so a kept write ran once per caller and the writes behind
// it were shifted off unrun (lost).
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../agent/log/logger.ts';
import { createWriteQueue } from '../../agent/store/write-queue.ts';

const log = createLogger({ level: 'silent' });
const busy = () => Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' });

describe('write queue, concurrent submits', () => {
  it('runs each kept write once, in order, before the new ones', async () => {
    let locked = true;
    const runs: string[] = [];
    const write = (label: string) => async () => {
      if (locked) throw busy();
      await new Promise((r) => setImmediate(r)); // a real write yields to the event loop
      runs.push(label);
    };
    const queue = createWriteQueue({ log, sleep: async () => undefined, retryDelaysMs: [] });
    await expect(queue.submit('kept 1', write('kept 1'))).resolves.toBe('deferred');
    await expect(queue.submit('kept 2', write('kept 2'))).resolves.toBe('deferred');
    expect(queue.pending()).toBe(2);

    locked = false;
    const outcomes = await Promise.all(['a', 'b', 'c'].map((l) => queue.submit(l, write(l))));
    expect(outcomes).toEqual(['written', 'written', 'written']);
    expect(runs.slice(0, 2)).toEqual(['kept 1', 'kept 2']);
    expect(runs.slice(2).sort()).toEqual(['a', 'b', 'c']);
    expect(queue.pending()).toBe(0);
  });

  it('says why the oldest kept write waits when a later one is kept behind it', async () => {
    const lines: string[] = [];
    const logged = createLogger({ level: 'warn', destination: { write: (l: string) => lines.push(l) } as never });
    const q2 = createWriteQueue({ log: logged, sleep: async () => undefined, retryDelaysMs: [] });
    await q2.submit('first', async () => { throw busy(); });
    await q2.submit('second', async () => { throw busy(); });
    const msgs = lines.map((l) => (JSON.parse(l) as { msg: string }).msg);
    expect(msgs[0]).toContain('first kept for later (the database is locked by another writer)');
    expect(msgs[1]).toContain('second kept for later (earlier writes are still waiting: the database is locked by another writer)');
  });
});
