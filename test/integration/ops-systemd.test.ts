// The service unit as systemd itself judges it: `systemd-analyze verify` must be silent and
// `systemd-analyze security` must rate the exposure at most 2.5. Needs the systemd package
// (scripts/test.sh installs it); skipped with the reason when systemd-analyze is absent.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const REPO = resolve(import.meta.dirname, '../..');
const UNIT = readFileSync(join(REPO, 'systemd/pmi-agent.service'), 'utf8');
const TMPFILES = readFileSync(join(REPO, 'systemd/pmi-agent.tmpfiles.conf'), 'utf8');
const ANALYZE = ['/usr/bin/systemd-analyze', '/bin/systemd-analyze'].find((p) => existsSync(p));
const MAX_EXPOSURE = 2.5;

/** The unit with ExecStart pointing at this checkout and this node, so verify can check the binary. */
function renderUnit(): string {
  const rendered = UNIT.replace(/^ExecStart=\/usr\/bin\/node (.*)\/opt\/pmi-agent\//m, `ExecStart=${process.execPath} $1${REPO}/`);
  expect(rendered).not.toBe(UNIT);
  return rendered;
}

function settings(text: string, key: string): string[] {
  return text.split('\n').filter((l) => l.startsWith(`${key}=`)).map((l) => l.slice(key.length + 1));
}

describe('systemd/pmi-agent.service content', () => {
  it('runs as the unprivileged user with the documented command line', () => {
    expect(settings(UNIT, 'User')).toEqual(['pmi-agent']);
    expect(settings(UNIT, 'Group')).toEqual(['pmi-agent']);
    expect(settings(UNIT, 'ExecStart')).toEqual(['/usr/bin/node --max-semi-space-size=2 --heap-growing-percent=20 --v8-pool-size=1 --no-wasm-dynamic-tiering --no-wasm-tier-up /opt/pmi-agent/agent/bin/pmi-agent.js run --config /etc/pmi-agent/config.json']);
    expect(settings(UNIT, 'Restart')).toEqual(['on-failure']);
    expect(settings(UNIT, 'StartLimitBurst')).toHaveLength(1);
    expect(settings(UNIT, 'TimeoutStopSec')).toEqual(['30']);
    expect(settings(UNIT, 'RestartPreventExitStatus')).toEqual(['78']);
  });

  it('takes secrets only through LoadCredential, never on the command line or in the environment', () => {
    expect(settings(UNIT, 'LoadCredential')).toEqual(['pmi:/etc/pmi-agent/credentials']);
    expect(settings(UNIT, 'Environment').join(' ')).not.toMatch(/secret|token/i);
    expect(settings(UNIT, 'ExecStart').join(' ')).not.toMatch(/secret|token/i);
  });

  it('leaves MemoryDenyWriteExecute off (V8 JIT) and says why', () => {
    expect(settings(UNIT, 'MemoryDenyWriteExecute')).toEqual([]);
    expect(UNIT).toMatch(/# MemoryDenyWriteExecute= stays OFF on purpose: V8's JIT/);
  });

  it('may write exactly the directories tmpfiles.d creates for it', () => {
    const writable = settings(UNIT, 'ReadWritePaths').flatMap((v) => v.split(/\s+/));
    const created = TMPFILES.split('\n').filter((l) => /^d\s/.test(l)).map((l) => l.split(/\s+/)[1]!);
    expect(writable).toEqual(['/var/lib/pmi-agent', '/var/spool/pmi-agent', '/var/www/pmi-dashboard', '/var/log/pmi-agent', '/run/pmi-agent']);
    for (const dir of writable) expect(created).toContain(dir);
    expect(settings(UNIT, 'ProtectSystem')).toEqual(['strict']);
  });
});

describe.skipIf(!ANALYZE)(`systemd-analyze${ANALYZE ? '' : ' — SKIPPED: not installed (apt-get install systemd; scripts/test.sh does)'}`, () => {
  let dir: string;
  let unitPath: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'ops-systemd-'));
    unitPath = join(dir, 'pmi-agent.service');
    writeFileSync(unitPath, renderUnit());
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('verify is clean', async () => {
    const { stdout, stderr } = await run(ANALYZE!, ['verify', '--man=no', unitPath]);
    expect(stderr.trim()).toBe('');
    expect(stdout.trim()).toBe('');
  });

  it('verify is not blind: it rejects a unit with a broken setting', async () => {
    const broken = join(dir, 'broken.service');
    writeFileSync(broken, renderUnit().replace('ProtectSystem=strict', 'ProtectSystem=sometimes'));
    const res = await run(ANALYZE!, ['verify', '--man=no', broken]).catch((err: { stderr: string }) => err);
    expect(res.stderr).toMatch(/protect system value/i);
  });

  it(`security rates the exposure at most ${MAX_EXPOSURE}`, async () => {
    const { stdout } = await run(ANALYZE!, ['security', '--offline=true', '--no-pager', unitPath]).catch((err: { stdout: string }) => err);
    const m = /Overall exposure level for pmi-agent\.service: (\d+(?:\.\d+)?)/.exec(stdout);
    expect(m, stdout).not.toBeNull();
    const exposure = Number(m![1]);
    console.info(`systemd-analyze security: exposure ${exposure}`);
    expect(exposure).toBeLessThanOrEqual(MAX_EXPOSURE);
  });
});
