// `pmi-agent health` (the container's HEALTHCHECK): healthy while some cluster answered a poll
// within three poll intervals, read from a real SQLite file written by the store.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../../agent/cli.ts';
import { judgeLiveness } from '../../agent/liveness/liveness.ts';
import { runHealthCheck } from '../../agent/liveness/run-health-check.ts';
import { writePollRun } from '../../agent/store/cluster.repository.ts';
import { openDatabase } from '../../agent/store/open-database.ts';

describe('judgeLiveness', () => {
  it('is healthy up to three intervals after the last good poll, unhealthy after', () => {
    expect(judgeLiveness({ lastGoodSec: 1000, nowSec: 1180, intervalSec: 60 })).toMatchObject({ healthy: true, message: 'healthy: last successful poll 180 s ago (limit 180 s)' });
    expect(judgeLiveness({ lastGoodSec: 1000, nowSec: 1181, intervalSec: 60 })).toMatchObject({ healthy: false, message: expect.stringContaining('181 s ago, more than 180 s (3 poll intervals)') });
  });

  it('is unhealthy before any poll succeeded', () => {
    expect(judgeLiveness({ lastGoodSec: undefined, nowSec: 5, intervalSec: 60 }).healthy).toBe(false);
  });

  it('treats a last poll in the future (clock stepped back) as fresh, not as negative age', () => {
    expect(judgeLiveness({ lastGoodSec: 2000, nowSec: 1000, intervalSec: 60 })).toMatchObject({ healthy: true, message: expect.stringContaining(' 0 s ago') });
  });
});

describe('runHealthCheck', () => {
  let dir: string;
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('reads the newest good poll of any cluster from the database; a failed poll does not count', async () => {
    dir = mkdtempSync(join(tmpdir(), 'pmi-health-'));
    const dbFile = join(dir, 'pmi.sqlite');
    const configPath = join(dir, 'config.json');
    writeFileSync(configPath, JSON.stringify({
      clusters: [{ name: 'lab', endpoints: ['https://127.0.0.1:8006'], tokenId: 'pmi@pve!agent', tokenSecretFile: 'secret', tls: { insecure: true } }],
      pollIntervalSeconds: 10,
      paths: { database: dbFile, site: join(dir, 'site'), inbox: join(dir, 'inbox') },
    }));
    const out: string[] = [];
    const io = { stdout: (t: string) => out.push(t), stderr: (t: string) => out.push(t) };
    expect(runHealthCheck(configPath, io)).toBe(1);
    expect(out.pop()).toMatch(/^unhealthy: cannot read .*pmi\.sqlite/);

    const store = await openDatabase(dbFile);
    const run = { requests: 1, errors: 0, durationMs: 5, endpoint: 'https://127.0.0.1:8006' };
    await writePollRun(store.db, { ...run, cluster: 'lab', ok: true, startedAt: 1000 });
    await writePollRun(store.db, { ...run, cluster: 'other', ok: false, startedAt: 1050, error: 'down' });
    await store.close();
    expect(runHealthCheck(configPath, io, 1030_000)).toBe(0);
    expect(out.pop()).toBe('healthy: last successful poll 30 s ago (limit 30 s)\n');
    expect(runHealthCheck(configPath, io, 1031_000)).toBe(1);
    expect(out.pop()).toMatch(/^unhealthy: last successful poll 31 s ago/);
  });

  it('is a command of the CLI', async () => {
    const out: string[] = [];
    const code = await runCli(['health', '-c', '/nonexistent/config.json'], { stdout: (t) => out.push(t), stderr: (t) => out.push(t), env: {} });
    expect(code).toBe(78);
    expect(out.join('')).toContain('cannot read config file /nonexistent/config.json');
  });
});
