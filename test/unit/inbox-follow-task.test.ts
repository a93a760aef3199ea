import { describe, expect, it } from 'vitest';
import { PmiError } from '../../agent/errors.ts';
import { followTask, pollDelayMs } from '../../agent/inbox/follow-task.ts';
import type { PveClient } from '../../agent/pve/pve-client.types.ts';
import { isTaskSuccess } from '../../agent/inbox/transient.ts';

const UPID = 'UPID:pve2:0000ABCD:00001234:6740F000:qmstart:101:pmi@pve!agent:';

/** A PveClient that answers task status from a script of responses (errors are thrown). */
function scripted(answers: Array<unknown>): PveClient & { paths: string[] } {
  const paths: string[] = [];
  return {
    cluster: 'c',
    paths,
    endpoint: () => 'https://x',
    async get<T>(path: string): Promise<T> {
      paths.push(path);
      const a = answers.length > 1 ? answers.shift() : answers[0];
      if (a instanceof Error) throw a;
      return a as T;
    },
    post: () => Promise.reject(new Error('no')),
    delete: () => Promise.reject(new Error('no')),
    takeStats: () => ({ requests: 0, errors: 0, retries: 0 }),
    close: async () => undefined,
  };
}

function clock() {
  let t = 0;
  return { now: () => t, sleep: async (ms: number) => void (t += ms) };
}

describe('followTask', () => {
  it('polls the node of the UPID with the encoded UPID until stopped', async () => {
    const client = scripted([{ status: 'running' }, { status: 'running' }, { status: 'stopped', exitstatus: 'OK' }]);
    const end = await followTask({ client, ...clock(), intervalMs: 1000, timeoutMs: 60_000 }, UPID);
    expect(end).toMatchObject({ kind: 'stopped', exitstatus: 'OK', polls: 3, endedAtMs: 300 });
    expect(client.paths[0]).toBe(`/nodes/pve2/tasks/${encodeURIComponent(UPID)}/status`);
  });

  it('polls through transient errors (node offline) and gives up at the timeout', async () => {
    const offline = new PmiError('PVE_NODE_OFFLINE', '595 No route to host', { details: { status: 595 } });
    const client = scripted([offline]);
    const end = await followTask({ client, ...clock(), intervalMs: 1000, timeoutMs: 5000 }, UPID);
    expect(end).toMatchObject({ kind: 'timeout', lastError: '595 No route to host' });
    // 100 + 200 + 400 + 800 ms, then every 1000 ms up to 5000 ms: 9 polls.
    expect(client.paths.length).toBe(9);
  });

  it('throws on a final error', async () => {
    const client = scripted([new PmiError('PVE_FORBIDDEN', '403')]);
    await expect(followTask({ client, ...clock(), intervalMs: 10, timeoutMs: 100 }, UPID)).rejects.toThrow('403');
  });

  // Regression (issue 12 §11): the crash point "during follow" sat in the sleep between polls, so a
  // task that had ended by the first poll (a loaded machine) never reached it.
  it('reports every poll, also when the task has already stopped at the first one (no sleep)', async () => {
    const seen: string[] = [];
    const client = scripted([{ status: 'stopped', exitstatus: 'OK' }]);
    const c = clock();
    const end = await followTask({ client, now: c.now, sleep: async (ms) => { seen.push('sleep'); await c.sleep(ms); }, intervalMs: 10, timeoutMs: 1000, polled: (n) => void seen.push(`polled ${n}`) }, UPID);
    expect(end).toMatchObject({ kind: 'stopped', polls: 1 });
    expect(seen).toEqual(['polled 1']);
  });

  it('reports polls that failed transiently too, before sleeping', async () => {
    const seen: string[] = [];
    const offline = new PmiError('PVE_NODE_OFFLINE', '595 No route to host', { details: { status: 595 } });
    const client = scripted([offline, { status: 'stopped', exitstatus: 'OK' }]);
    const c = clock();
    await followTask({ client, now: c.now, sleep: async (ms) => { seen.push('sleep'); await c.sleep(ms); }, intervalMs: 10, timeoutMs: 1000, polled: (n) => void seen.push(`polled ${n}`) }, UPID);
    expect(seen).toEqual(['polled 1', 'sleep', 'polled 2']);
  });

  it('can be abandoned between polls (stop keeps the UPID for the next start)', async () => {
    let n = 0;
    const client = scripted([{ status: 'running' }]);
    const end = await followTask({ client, ...clock(), intervalMs: 10, timeoutMs: 1000, stopped: () => ++n > 2 }, UPID);
    expect(end.kind).toBe('abandoned');
  });
});

describe('pollDelayMs', () => {
  it.each([
    [1, 1000, 100],
    [2, 1000, 200],
    [4, 1000, 800],
    [5, 1000, 1000],
    [50, 1000, 1000],
    [1, 20, 20],
  ])('after poll %i with interval %i → %i ms', (polls, interval, ms) => expect(pollDelayMs(polls, interval)).toBe(ms));
});

describe('isTaskSuccess', () => {
  it.each([
    ['OK', true],
    ['WARNINGS: 2', true],
    ['VM 101 already running', false],
    ['unexpected status', false],
    ['WARNINGS: x', false],
    [null, false],
  ] as const)('%j → %s', (s, ok) => expect(isTaskSuccess(s)).toBe(ok));
});
