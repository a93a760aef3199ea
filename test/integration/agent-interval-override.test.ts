// The poll interval is resolved once (the CLI's --interval / RunOptions.intervalSeconds over the
// config's pollIntervalSeconds) and every part gets that value: before, the site builder read the
// config's own value, so a demo polling every 5 s published status.json and a stale banner for 60 s.
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openAgent } from '../../agent/main.ts';
import { startSimulator } from '../../scripts/pve-sim/index.ts';
import { logSink, writeAgentConfig } from '../support/agent-fixture.ts';

describe('poll interval override', () => {
  it('reaches the published site, not only the scheduler', async () => {
    const sim = await startSimulator({ seed: 3, authFailDelayMs: 50 });
    const dirs = writeAgentConfig(sim, (c) => { c.pollIntervalSeconds = 60; });
    const agent = await openAgent(dirs.configPath, { intervalSeconds: 5, logDestination: logSink().stream }, false);
    try {
      await agent.runCycle();
      const status = JSON.parse(readFileSync(join(dirs.site, 'current', 'status.json'), 'utf8')) as { poll_interval_seconds: number; stale_after_seconds: number };
      expect(status.poll_interval_seconds).toBe(5);
      expect(status.stale_after_seconds).toBe(15);
      expect(agent.intervalSeconds).toBe(5);
    } finally {
      await agent.close();
      await sim.stop();
      rmSync(dirs.dir, { recursive: true, force: true });
    }
  }, 120_000);
});
