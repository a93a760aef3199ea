// The store stage (issue 17 item 5): the store is given each cluster's poll run and may write it in
// the same statement; recordRun is told so, and still runs (poll errors belong to it).
import { describe, expect, it } from 'vitest';
import { runCycle, type ClusterPollOutcome } from '../../agent/agent-cycle.ts';
import { createLogger } from '../../agent/log/logger.ts';
import { syntheticSnapshot } from '../../scripts/bench/store-synthetic.ts';

const log = createLogger({ level: 'silent' });
const outcome = (cluster: string, withSnapshot: boolean): ClusterPollOutcome => ({
  cluster, ok: withSnapshot, durationMs: 5, requests: 6, errors: withSnapshot ? 0 : 1, endpoint: null, startedAt: 1_800_000_000_000, warnings: [],
  ...(withSnapshot ? { snapshot: syntheticSnapshot({ cluster, ts: 1_800_000_000, guests: 2, nodes: 1 }) } : { error: { code: 'PVE_UNREACHABLE', message: 'down' } }),
});

async function cycle(store: (cluster: string) => boolean | void | Promise<never>) {
  const runs: Array<[string, boolean]> = [];
  const storedWith: string[] = [];
  await runCycle({
    log, now: () => 1_800_000_000_000,
    poll: async () => [outcome('a', true), outcome('b', false), outcome('c', true)],
    store: async (s, run, startedAt) => {
      expect(run.cluster).toBe(s.cluster);
      expect(startedAt).toBe(1_800_000_000);
      storedWith.push(s.cluster);
      return store(s.cluster);
    },
    recordRun: async (r, _t, written) => { runs.push([r.cluster, written]); },
    maintain: async () => undefined,
    site: { record: () => undefined, build: async () => undefined },
  });
  return { runs, storedWith };
}

describe('store stage with the poll run', () => {
  it('a store that wrote the run says so: recordRun is told (written true) and still called for every cluster', async () => {
    const { runs, storedWith } = await cycle(() => true);
    expect(storedWith).toEqual(['a', 'c']);
    expect(runs).toEqual([['a', true], ['b', false], ['c', true]]);
  });

  it('a store that did not (SQLite, the full path) or returns nothing leaves the run to recordRun', async () => {
    expect((await cycle((c) => (c === 'a' ? false : undefined))).runs).toEqual([['a', false], ['b', false], ['c', false]]);
  });

  it('a store that failed wrote nothing, so recordRun writes the run', async () => {
    expect((await cycle(() => Promise.reject(new Error('db down')) as Promise<never>)).runs).toEqual([['a', false], ['b', false], ['c', false]]);
  });
});
