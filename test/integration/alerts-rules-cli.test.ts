// `pmi-agent rules check` and `pmi-agent rules backtest` through the CLI entry, on a database
// filled by the store over 8 simulated days (raw, 5-minute and hourly tiers).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../agent/cli.ts';
import { openDatabase } from '../../agent/store/open-database.ts';
import { fillStore } from './store-fill.ts';

const T0 = Date.UTC(2026, 10, 1) / 1000;
let dir: string;
let configPath: string;
let rulesDir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pmi-rules-cli-'));
  rulesDir = join(dir, 'rules');
  mkdirSync(rulesDir);
  const db = join(dir, 'pmi.db');
  const store = await openDatabase(db);
  await fillStore(store, { start: T0, days: 8, intervalSeconds: 600, guests: 30 });
  await store.close();
  configPath = join(dir, 'config.json');
  writeFileSync(configPath, JSON.stringify({
    clusters: [{ name: 'lab', endpoints: ['https://127.0.0.1:8006'], tokenId: 'pmi@pve!mon', tokenSecret: 'x', tls: { insecure: true } }],
    pollIntervalSeconds: 600,
    paths: { database: db, site: join(dir, 'site'), inbox: join(dir, 'inbox') },
    rules: { directory: rulesDir, disabled: ['guest-paused'] },
  }));
}, 180_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function cli(...argv: string[]) {
  let out = '';
  let err = '';
  const code = await runCli(argv, { stdout: (t) => (out += t), stderr: (t) => (err += t), env: {} });
  return { code, out, err };
}

describe('pmi-agent rules', () => {
  it('check: the shipped pack is clean; disabled rules are listed', async () => {
    const r = await cli('rules', 'check', '--config', configPath);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^\d+ rules ok: backup-job-failed, .*cluster-no-quorum, .*zfs-pool-unhealthy\n/);
    expect(r.out).toContain('disabled: guest-paused');
  });

  it('check: a broken user rule is named by file and line, and exits 1', async () => {
    writeFileSync(join(rulesDir, 'broken.sql'), '-- severity: warning\n-- labels: cluster\n-- summary: x\nselect cluster\nfrom v_cluster_latest\nwhere nonsense > 1\n');
    writeFileSync(join(rulesDir, 'node-offline.sql'), '-- severity: info\n-- labels: cluster, node\n-- summary: {{node}}\nselect cluster, node from v_node_latest where status = \'offline\'\n');
    try {
      const r = await cli('rules', 'check', '--config', configPath);
      expect(r.code).toBe(1);
      expect(r.out).toContain(`${join(rulesDir, 'broken.sql')}:6: SQL error: no such column: nonsense`);
      expect(r.out).toMatch(/1 problem; \d+ rules ok/);
    } finally {
      rmSync(join(rulesDir, 'broken.sql'));
    }
    const ok = await cli('rules', 'check', '--config', configPath);
    expect(ok.out).toContain(`overridden by ${rulesDir}: node-offline`);
    rmSync(join(rulesDir, 'node-offline.sql'));
  });

  it('backtest: the crash of guest 101 on day 2 fires once and resolves when it runs again on day 3', async () => {
    const r = await cli('rules', 'backtest', 'guest-stopped-unexpectedly', '--since', '30d', '--config', configPath);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const lines = r.out.trim().split('\n');
    expect(lines[0]).toMatch(/^guest-stopped-unexpectedly: replayed .* \(steps: \d+ raw, \d+ at 5 min, \d+ at 1 h\)$/);
    expect(r.out).toMatch(/2026-11-03 00:00 → 2026-11-04 00:00 {2}1d +cluster=lab node=pve\d vmid=101/);
    expect(lines.at(-1)).toBe('would have fired 1 time, median 1d');
  });

  it('backtest: failed tasks, with a median; a disabled rule can be backtested; unknown rule', async () => {
    const r = await cli('rules', 'backtest', 'task-failed', '--config', configPath);
    expect(r.out.trim().split('\n').at(-1)).toBe('would have fired 2 times, median 1h');
    expect((await cli('rules', 'backtest', 'guest-paused', '--config', configPath)).out).toContain('would have fired 0 times');
    const none = await cli('rules', 'backtest', 'nope', '--config', configPath);
    expect(none.code).toBe(1);
    expect(none.err).toContain('no rule named "nope"');
  });
});
