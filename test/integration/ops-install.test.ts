// scripts/install.sh into a temporary root: every path with its owner and mode, a dry run that
// changes nothing, a second run that changes nothing, an edited config that survives.
// Runs as root (the test machine is); skipped with the reason otherwise.
import { execFile, spawnSync } from 'node:child_process';
import { cpSync, existsSync, lchownSync, lstatSync, rmdirSync, statSync, symlinkSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Config } from '../../agent/config/config.schema.ts';
import { SUBDIRS } from '../../agent/inbox/maildir.ts';
import { startSimulator } from '../../scripts/pve-sim/index.ts';
import { writeAgentConfig } from '../support/agent-fixture.ts';

const REPO = resolve(import.meta.dirname, '../..');
const IS_ROOT = process.getuid?.() === 0;
const HAS_USERADD = ['/usr/sbin/useradd', '/sbin/useradd'].some((p) => existsSync(p));

/** A target root holding only the base accounts a Debian system has (root, adm, www-data). */
function makeRoot(): string {
  const root = mkdtempSync(join(tmpdir(), 'ops-install-'));
  mkdirSync(join(root, 'etc'));
  writeFileSync(join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/bash\nwww-data:x:33:33:www-data:/var/www:/usr/sbin/nologin\n');
  writeFileSync(join(root, 'etc/group'), 'root:x:0:\nadm:x:4:\nwww-data:x:33:\n');
  writeFileSync(join(root, 'etc/shadow'), 'root:*:20000:0:99999:7:::\nwww-data:*:20000:0:99999:7:::\n', { mode: 0o640 });
  writeFileSync(join(root, 'etc/gshadow'), 'root:*::\nadm:*::\nwww-data:*::\n', { mode: 0o640 });
  return root;
}

/**
 * A frozen copy of what the installer ships — the committed tree when this is a git checkout — so
 * files other people are editing in the shared checkout cannot break or fake a change in a run —
 * built the way a user builds before installing (`npm run build`: plain tsc into dist/).
 */
async function copySource(): Promise<string> {
  const src = mkdtempSync(join(tmpdir(), 'ops-install-src-'));
  const paths = ['agent', 'db', 'site-templates', 'systemd', 'container', 'scripts/install.sh', 'scripts/submit-action.ts', 'scripts/db-snapshot.ts', 'scripts/build.ts', 'tsconfig.json', 'tsconfig.build.json', 'package.json', 'package-lock.json', 'README.md', 'CHANGELOG.md'];
  const present = paths.filter((p) => existsSync(join(REPO, p)));
  const git = spawnSync('sh', ['-c', `git -C "$1" archive HEAD -- ${present.map((p) => `'${p}'`).join(' ')} | tar -x -C "$2"`, 'sh', REPO, src]);
  if (git.status !== 0 || !existsSync(join(src, 'scripts/install.sh'))) {
    for (const p of present) cpSync(join(REPO, p), join(src, p), { recursive: true });
  }
  symlinkSync(join(REPO, 'node_modules'), join(src, 'node_modules'));
  await promisify(execFile)(process.execPath, ['--import', 'tsx', join(src, 'scripts/build.ts')], { cwd: src, timeout: 280_000 });
  return src;
}

let SRC = REPO;

function install(root: string, ...args: string[]) {
  const r = spawnSync('bash', [join(SRC, 'scripts/install.sh'), '--root', root, ...args], { encoding: 'utf8' });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

function idOf(root: string, file: 'passwd' | 'group', name: string): number {
  const line = readFileSync(join(root, 'etc', file), 'utf8').split('\n').find((l) => l.startsWith(`${name}:`));
  if (!line) throw new Error(`${name} not in ${file}`);
  return Number(line.split(':')[2]);
}

/** path → "mode uid gid size mtime" for everything under root (what a re-run must not change). */
function snapshot(root: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      const st = lstatSync(p);
      out.set(relative(root, p), `${(st.mode & 0o7777).toString(8)} ${st.uid} ${st.gid} ${st.size} ${st.mtimeMs}`);
      if (st.isDirectory()) walk(p);
    }
  };
  walk(root);
  return out;
}

describe('systemd/config.example.json', () => {
  it('is a valid config using a systemd credential for the secret', () => {
    const cfg = Config.parse(JSON.parse(readFileSync(join(REPO, 'systemd/config.example.json'), 'utf8')));
    expect(cfg.clusters[0]!.tokenSecretCredential).toBe('pmi_lab');
    expect(cfg.paths).toEqual({ database: '/var/lib/pmi-agent/pmi.sqlite', site: '/var/www/pmi-dashboard', inbox: '/var/spool/pmi-agent/inbox' });
  });
});

describe.skipIf(!IS_ROOT || !HAS_USERADD)(`scripts/install.sh --root${IS_ROOT ? '' : ' — SKIPPED: needs root'}${HAS_USERADD ? '' : ' — SKIPPED: useradd missing (passwd package)'}`, () => {
  let root: string;
  let first: { status: number | null; out: string };
  let dry: { status: number | null; out: string };
  let before: Map<string, string>;
  let afterDry: Map<string, string>;

  beforeAll(async () => {
    SRC = await copySource();
    root = makeRoot();
    before = snapshot(root);
    dry = install(root, '--dry-run');
    afterDry = snapshot(root);
    first = install(root);
  }, 300_000);
  afterAll(() => {
    rmSync(root, { recursive: true, force: true });
    rmSync(SRC, { recursive: true, force: true });
  });

  it('a dry run prints every action and changes nothing', () => {
    expect(dry.status).toBe(0);
    expect(dry.out).toContain('DRY RUN');
    expect(dry.out).toMatch(/would: useradd --system --prefix \S+ --gid pmi-agent --groups pmi-submit .* pmi-agent/);
    expect(dry.out).toContain(`would: chmod 3770 ${root}/var/spool/pmi-agent/inbox/new`);
    expect(dry.out).toContain(`would: cp ${SRC}/dist/systemd/config.example.json ${root}/etc/pmi-agent/config.json`);
    expect(dry.out).not.toMatch(/^\+ /m);
    expect(afterDry).toEqual(before);
  });

  it('installs successfully', () => {
    expect(first.out).toMatch(/changes made/);
    expect(first.status).toBe(0);
  });

  it('creates the system user and the submit group', () => {
    const passwd = readFileSync(join(root, 'etc/passwd'), 'utf8');
    expect(passwd).toMatch(/^pmi-agent:x:\d+:\d+:PMI Dashboard agent:\/var\/lib\/pmi-agent:\/usr\/sbin\/nologin$/m);
    expect(idOf(root, 'passwd', 'pmi-agent')).toBeLessThan(1000);
    const group = readFileSync(join(root, 'etc/group'), 'utf8');
    expect(group).toMatch(/^pmi-submit:x:\d+:pmi-agent$/m);
    expect(group).toMatch(/^pmi-agent:x:\d+:$/m);
  });

  it('gives every directory and file its owner and mode', () => {
    const u = (n: string) => idOf(root, 'passwd', n);
    const g = (n: string) => idOf(root, 'group', n);
    const agent = u('pmi-agent');
    const expected: Array<[string, number, number, number]> = [
      ['etc/pmi-agent', 0o750, 0, g('pmi-agent')],
      ['etc/pmi-agent/credentials', 0o700, 0, 0],
      ['etc/pmi-agent/secrets', 0o750, 0, g('pmi-agent')],
      ['etc/pmi-agent/config.json', 0o640, 0, g('pmi-agent')],
      ['var/lib/pmi-agent', 0o750, agent, g('pmi-agent')],
      ['var/spool/pmi-agent', 0o755, 0, 0],
      ['var/spool/pmi-agent/inbox', 0o2750, agent, g('pmi-submit')],
      ['var/spool/pmi-agent/inbox/tmp', 0o3770, agent, g('pmi-submit')],
      ['var/spool/pmi-agent/inbox/new', 0o3770, agent, g('pmi-submit')],
      ['var/spool/pmi-agent/inbox/cur', 0o2750, agent, g('pmi-submit')],
      ['var/spool/pmi-agent/inbox/done', 0o2750, agent, g('pmi-submit')],
      ['var/spool/pmi-agent/inbox/failed', 0o2750, agent, g('pmi-submit')],
      ['var/spool/pmi-agent/inbox/rejected', 0o2750, agent, g('pmi-submit')],
      ['var/www/pmi-dashboard', 0o2750, agent, g('www-data')],
      ['var/log/pmi-agent', 0o750, agent, g('adm')],
      ['run/pmi-agent', 0o2750, agent, g('www-data')],
      ['etc/systemd/system/pmi-agent.service', 0o644, 0, 0],
      ['etc/tmpfiles.d/pmi-agent.conf', 0o644, 0, 0],
      ['etc/nginx/sites-available/pmi-dashboard', 0o644, 0, 0],
      ['opt/pmi-agent', 0o755, 0, 0],
      ['opt/pmi-agent/agent/bin/pmi-agent.js', 0o755, 0, 0],
      ['opt/pmi-agent/agent/cli.js', 0o644, 0, 0],
      ['opt/pmi-agent/package.json', 0o644, 0, 0],
    ];
    const actual = expected.map(([p]) => {
      const st = lstatSync(join(root, p));
      return [p, st.mode & 0o7777, st.uid, st.gid];
    });
    expect(actual.map(([p, m, uid, gid]) => `${p} ${(m as number).toString(8)} ${uid}:${gid}`)).toEqual(
      expected.map(([p, m, uid, gid]) => `${p} ${m.toString(8)} ${uid}:${gid}`),
    );
  });

  it('creates every inbox sub-directory the agent uses', () => {
    for (const d of SUBDIRS) expect(lstatSync(join(root, 'var/spool/pmi-agent/inbox', d)).isDirectory()).toBe(true);
  });

  it('matches tmpfiles.d: same directories, modes and owners', () => {
    const lines = readFileSync(join(REPO, 'systemd/pmi-agent.tmpfiles.conf'), 'utf8').split('\n').filter((l) => /^d\s/.test(l));
    expect(lines.length).toBeGreaterThan(5);
    for (const l of lines) {
      const [, path, mode, user, group] = l.split(/\s+/) as [string, string, string, string, string];
      const st = lstatSync(join(root, path));
      expect(`${path} ${(st.mode & 0o7777).toString(8)} ${st.uid}:${st.gid}`).toBe(
        `${path} ${Number.parseInt(mode, 8).toString(8)} ${user === 'root' ? 0 : idOf(root, 'passwd', user)}:${idOf(root, 'group', group)}`,
      );
    }
  });

  it.skipIf(!existsSync('/usr/bin/systemd-tmpfiles') && !existsSync('/bin/systemd-tmpfiles'))('systemd-tmpfiles --create agrees with the installer (it changes nothing)', () => {
    const snap = snapshot(root);
    const r = spawnSync('systemd-tmpfiles', [`--root=${root}`, '--create', join(root, 'etc/tmpfiles.d/pmi-agent.conf')], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(snapshot(root)).toEqual(snap);
  });

  it('installs the unit, tmpfiles, nginx example (not enabled), the app without tests, and the command', () => {
    expect(readFileSync(join(root, 'etc/systemd/system/pmi-agent.service'), 'utf8')).toBe(readFileSync(join(SRC, 'systemd/pmi-agent.service'), 'utf8'));
    expect(existsSync(join(root, 'etc/nginx/sites-enabled'))).toBe(false);
    expect(readFileSync(join(root, 'etc/pmi-agent/config.json'), 'utf8')).toBe(readFileSync(join(SRC, 'systemd/config.example.json'), 'utf8'));
    // the JSON Schema the example names with "$schema": "./config.schema.json", next to it
    expect(readFileSync(join(root, 'etc/pmi-agent/config.schema.json'), 'utf8')).toBe(readFileSync(join(SRC, 'systemd/config.schema.json'), 'utf8'));
    expect(existsSync(join(root, 'opt/pmi-agent/agent/main.js'))).toBe(true);
    for (const s of ['submit-action.js', 'db-snapshot.js', 'install.sh']) expect(existsSync(join(root, 'opt/pmi-agent/scripts', s)), s).toBe(true);
    // the compiled application only: no TypeScript source, no build script, no tests
    expect(existsSync(join(root, 'opt/pmi-agent/scripts/build.ts'))).toBe(false);
    expect(existsSync(join(root, 'opt/pmi-agent/test'))).toBe(false);
    const ts = spawnSync('find', [join(root, 'opt/pmi-agent'), '-name', '*.ts'], { encoding: 'utf8' });
    expect(ts.stdout).toBe('');
    expect(readlinkSync(join(root, 'usr/local/bin/pmi-agent'))).toBe('/opt/pmi-agent/agent/bin/pmi-agent.js');
  });

  it('a second run changes nothing', () => {
    const snap = snapshot(root);
    const again = install(root);
    expect(again.status).toBe(0);
    expect(again.out).toContain('nothing to do: already installed');
    expect(snapshot(root)).toEqual(snap);
  });

  it('never overwrites an edited config, and repairs a wrong mode', () => {
    const cfg = join(root, 'etc/pmi-agent/config.json');
    writeFileSync(cfg, '{"edited": true}\n');
    spawnSync('chmod', ['0777', join(root, 'var/spool/pmi-agent/inbox/done')]);
    const again = install(root);
    expect(again.status).toBe(0);
    expect(again.out).toContain('keep: /etc/pmi-agent/config.json exists, not overwritten');
    expect(again.out).toContain(`+ chmod 2750 ${root}/var/spool/pmi-agent/inbox/done`);
    expect(readFileSync(cfg, 'utf8')).toBe('{"edited": true}\n');
  });

  it('upgrades the nginx site while it is as shipped, and keeps an admin\'s edit (new version beside it)', () => {
    const shipped = join(SRC, 'dist/systemd/nginx-pmi-dashboard.conf');
    const site = join(root, 'etc/nginx/sites-available/pmi-dashboard');
    const original = readFileSync(shipped, 'utf8');
    try {
      writeFileSync(shipped, `${original}# release 2\n`);
      const upgrade = install(root);
      expect(upgrade.status).toBe(0);
      expect(readFileSync(site, 'utf8')).toBe(`${original}# release 2\n`);
      expect(existsSync(`${site}.pmi-new`)).toBe(false);

      const edited = `${readFileSync(site, 'utf8')}# admin: allow 10.0.0.0/8\n`;
      writeFileSync(site, edited);
      writeFileSync(shipped, `${original}# release 3\n`);
      const again = install(root);
      expect(again.status).toBe(0);
      expect(again.out).toContain('keep: /etc/nginx/sites-available/pmi-dashboard was edited here; the new version is /etc/nginx/sites-available/pmi-dashboard.pmi-new');
      expect(readFileSync(site, 'utf8')).toBe(edited);
      expect(readFileSync(`${site}.pmi-new`, 'utf8')).toBe(`${original}# release 3\n`);
    } finally {
      writeFileSync(shipped, original);
      rmSync(`${site}.pmi-new`, { force: true });
      writeFileSync(site, original);
    }
  });

  it('--prefix moves the application and the unit follows', () => {
    const other = makeRoot();
    try {
      const r = install(other, '--prefix', '/srv/pmi');
      expect(r.status).toBe(0);
      expect(readFileSync(join(other, 'etc/systemd/system/pmi-agent.service'), 'utf8')).toMatch(/^ExecStart=\/usr\/bin\/node (--\S+ )*\/srv\/pmi\/agent\/bin\/pmi-agent\.js run/m);
      expect(existsSync(join(other, 'srv/pmi/agent/cli.js'))).toBe(true);
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });

  it('the installed copy is complete: plain node runs a cycle against the simulator (npm ci replaced by a node_modules link)', async () => {
    const app = join(root, 'opt/pmi-agent');
    symlinkSync(join(REPO, 'node_modules'), join(app, 'node_modules'));
    const sim = await startSimulator({ seed: 4, nodesPerCluster: 2, guests: 4 });
    const d = writeAgentConfig(sim);
    try {
      // no --import, no loader: the service's ExecStart
      const r = await promisify(execFile)(process.execPath, [join(app, 'agent/bin/pmi-agent.js'), 'once', '--config', d.configPath], { timeout: 60_000 });
      expect(r.stdout).toContain('"msg":"cycle done"');
      // the first build's sample reader thread loads better-sqlite3 from the installed copy
      expect(r.stdout).not.toContain('worker thread failed');
      expect(existsSync(join(d.site, 'current/index.html'))).toBe(true);
    } finally {
      await sim.stop();
      rmSync(d.dir, { recursive: true, force: true });
      rmSync(join(app, 'node_modules'));
    }
  });

  // Regression (issue 12 §12): pmi-agent owns the inbox, so it can replace inbox/done with a
  // symlink; the re-run the README asks for after every upgrade then chowned and chmodded the
  // link's target, handing the service account a root-owned directory.
  it('never follows a symlink the service account planted under a directory it owns', () => {
    const agent = idOf(root, 'passwd', 'pmi-agent');
    const victim = join(root, 'etc/victim');
    mkdirSync(victim, { mode: 0o700 });
    const done = join(root, 'var/spool/pmi-agent/inbox/done');
    rmSync(done, { recursive: true });
    // relative, so it points at the victim whether read inside the target root or from outside
    symlinkSync('../../../../etc/victim', done);
    lchownSync(done, agent, agent);
    try {
      for (const args of [['--dry-run'], []]) {
        const r = install(root, ...args);
        expect(r.status, r.out).toBe(1);
        expect(r.out).toContain(`refusing to follow ${done}: it is a symlink (-> ../../../../etc/victim)`);
        const st = statSync(victim);
        expect(`${st.uid}:${st.gid} ${(st.mode & 0o7777).toString(8)}`).toBe('0:0 700');
        expect(lstatSync(done).isSymbolicLink()).toBe(true);
      }
    } finally {
      rmSync(done);
      rmdirSync(victim);
    }
    // once the link is gone, a run puts the directory back
    const again = install(root);
    expect(again.status, again.out).toBe(0);
    const st = lstatSync(done);
    expect(`${st.isDirectory()} ${st.uid} ${(st.mode & 0o7777).toString(8)}`).toBe(`true ${agent} 2750`);
  });

  it('follows a symlink only root could have made (the database moved to another disk)', () => {
    const other = makeRoot();
    try {
      mkdirSync(join(other, 'var/lib'), { recursive: true });
      mkdirSync(join(other, 'srv/disk2'), { recursive: true });
      // absolute: resolved inside the target root, like the real system would
      symlinkSync('/srv/disk2/pmi-agent', join(other, 'var/lib/pmi-agent'));
      const r = install(other);
      expect(r.status, r.out).toBe(0);
      const st = lstatSync(join(other, 'srv/disk2/pmi-agent'));
      expect(`${st.isDirectory()} ${st.uid} ${(st.mode & 0o7777).toString(8)}`).toBe(`true ${idOf(other, 'passwd', 'pmi-agent')} 750`);
      expect(lstatSync(join(other, 'var/lib/pmi-agent')).isSymbolicLink()).toBe(true);
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });

  it('refuses a checkout that was not built, saying how to build it', () => {
    const bare = mkdtempSync(join(tmpdir(), 'ops-install-bare-'));
    const other = makeRoot();
    try {
      mkdirSync(join(bare, 'scripts'));
      cpSync(join(SRC, 'scripts/install.sh'), join(bare, 'scripts/install.sh'));
      const r = spawnSync('bash', [join(bare, 'scripts/install.sh'), '--root', other], { encoding: 'utf8' });
      expect(r.status).toBe(1);
      expect(r.stderr).toContain("run 'npm ci && npm run build' first");
    } finally {
      rmSync(bare, { recursive: true, force: true });
      rmSync(other, { recursive: true, force: true });
    }
  });

  it('rejects unknown options with exit 2', () => {
    const r = spawnSync('bash', [join(SRC, 'scripts/install.sh'), '--frob'], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('unknown option --frob');
  });
});
