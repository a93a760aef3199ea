// A real Debian system for the boot test: a root file system built once with debootstrap and
// cached under var/nspawn/ (git-ignored), booted with `systemd-nspawn --boot` on a throw-away
// overlay (--volatile=overlay: the cached root is never written), commands run inside it with
// nsenter, and a stop that always ends the container and everything it started.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Debian packages of the root: systemd as init, and the nginx that serves the site. */
export const ROOT_PACKAGES = ['systemd', 'systemd-sysv', 'dbus', 'nginx-light'] as const;
const SUITE = 'bookworm';
const MIRROR = 'http://deb.debian.org/debian';
/** Bump when prepareRoot() changes, so an old cached root is not reused. */
const PREP_VERSION = 1;

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

/**
 * Runs a command with a hard limit: on timeout its whole process group is killed (SIGKILL: also
 * what debootstrap or nsenter started) and timedOut is set.
 */
export function run(cmd: string, args: readonly string[], opts: { timeoutMs: number; input?: string }): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'], detached: true });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    if (opts.input !== undefined) child.stdin!.end(opts.input);
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    }, opts.timeoutMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      resolve({ code: null, signal: null, stdout, stderr: `${stderr}${String(err)}`, timedOut });
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, timedOut });
    });
  });
}

/** Why this machine cannot boot a container (not root, tools missing, no namespaces), or undefined. */
export function nspawnUnavailable(): string | undefined {
  if (process.platform !== 'linux') return 'not Linux';
  if (process.getuid?.() !== 0) return 'needs root';
  for (const [tool, pkg] of [['systemd-nspawn', 'systemd-container'], ['debootstrap', 'debootstrap'], ['nsenter', 'util-linux']] as const) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) return `${tool} is missing (apt-get install ${pkg}; scripts/test.sh does)`;
  }
  // Inside an unprivileged container the namespaces nspawn needs cannot be created.
  const probe = spawnSync('unshare', ['--mount', '--pid', '--uts', '--ipc', '--fork', 'true'], { encoding: 'utf8' });
  if (probe.status !== 0) return `this machine cannot create the namespaces a container needs: ${(probe.stderr || String(probe.error)).trim()}`;
  return undefined;
}

/** Where the cached root for the current package list lives. */
export function cachedRootDir(cacheDir: string): string {
  const key = createHash('sha256').update(JSON.stringify({ SUITE, ROOT_PACKAGES, PREP_VERSION })).digest('hex').slice(0, 12);
  return join(cacheDir, `${SUITE}-${key}`);
}

/**
 * The cached root, built with debootstrap when missing (a minute or a few, from Debian's mirror).
 * Built aside and renamed into place, so an interrupted build is never taken for a root.
 */
export async function ensureRoot(cacheDir: string): Promise<{ dir: string; built: boolean }> {
  const dir = cachedRootDir(cacheDir);
  if (existsSync(join(dir, '.pmi-root-complete'))) return { dir, built: false };
  mkdirSync(cacheDir, { recursive: true });
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  const r = await run('debootstrap', ['--variant=minbase', `--include=${ROOT_PACKAGES.join(',')}`, SUITE, tmp, MIRROR], { timeoutMs: 1_200_000 });
  if (r.code !== 0) {
    rmSync(tmp, { recursive: true, force: true });
    throw new Error(`debootstrap failed (${r.timedOut ? 'no end within 20 min' : `exit ${r.code}`}):\n${(r.stdout + r.stderr).slice(-4000)}`);
  }
  prepareRoot(tmp);
  writeFileSync(join(tmp, '.pmi-root-complete'), `${new Date().toISOString()} ${SUITE} ${ROOT_PACKAGES.join(',')}\n`);
  rmSync(dir, { recursive: true, force: true });
  renameSync(tmp, dir);
  return { dir, built: true };
}

/**
 * What a container on a shared network and without a terminal must not do: Debian's default nginx
 * site would take port 80 of the host; a console getty would read a stdin that is not there; the
 * apt and e2scrub timers would start downloads and scans during the test.
 */
function prepareRoot(root: string): void {
  rmSync(join(root, 'etc/nginx/sites-enabled/default'), { force: true });
  for (const unit of ['console-getty.service', 'apt-daily.timer', 'apt-daily-upgrade.timer', 'e2scrub_all.timer', 'e2scrub_reap.service', 'dpkg-db-backup.timer', 'systemd-tmpfiles-clean.timer']) {
    const link = join(root, 'etc/systemd/system', unit);
    rmSync(link, { force: true });
    symlinkSync('/dev/null', link);
  }
}

export interface Bind {
  from: string;
  to: string;
}

export interface Container {
  /** The container's PID 1 (systemd) as the host sees it. */
  leader: number;
  /** Runs a command inside (all namespaces of the container, a clean environment). */
  exec(args: readonly string[], opts?: { input?: string; timeoutMs?: number }): Promise<RunResult>;
  /** Like exec, but throws with the command's output unless it exits 0. */
  sh(script: string, opts?: { input?: string; timeoutMs?: number }): Promise<string>;
  /** systemd-nspawn's own output (the boot log on the console). */
  output(): string;
  /** Halts the container (SIGTERM to nspawn); kills its PID 1 when that does not end it. */
  stop(): Promise<void>;
}

function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

function commOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
}

const sleep = (ms: number) => new Promise((res) => setTimeout(res, ms));

/**
 * Boots the root with systemd-nspawn on the host's network (no --private-network: the simulator
 * on the host's loopback is reachable), read-only binds, and waits until systemd reports the boot
 * finished. The host is not booted by systemd, hence --register=no --keep-unit.
 */
export async function bootContainer(opts: { root: string; machine: string; binds: readonly Bind[]; timeoutMs: number }): Promise<Container> {
  const args = ['--boot', '--register=no', '--keep-unit', '--volatile=overlay', '--console=pipe', `--machine=${opts.machine}`, '-D', opts.root, ...opts.binds.map((b) => `--bind-ro=${b.from}:${b.to}`)];
  const nspawn = spawn('systemd-nspawn', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  nspawn.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  nspawn.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  let exited = false;
  const exit = new Promise<void>((resolve) => nspawn.once('close', () => ((exited = true), resolve())));
  nspawn.once('error', (err) => (out += `\n${String(err)}`));
  let leader = 0;

  const stop = async () => {
    if (!exited) {
      nspawn.kill('SIGTERM'); // nspawn asks the container's systemd to halt
      await Promise.race([exit, sleep(90_000)]);
    }
    if (leader && existsSync(`/proc/${leader}`)) {
      // Killing PID 1 of the container's PID namespace ends every process in it.
      try {
        process.kill(leader, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
    if (!exited) {
      nspawn.kill('SIGKILL');
      await Promise.race([exit, sleep(30_000)]);
    }
    for (let i = 0; i < 100 && leader && commOf(leader) === 'systemd'; i++) await sleep(100);
    if (!exited || (leader && commOf(leader) === 'systemd')) {
      throw new Error(`the container ${opts.machine} did not end (nspawn pid ${nspawn.pid}, its PID 1 ${leader}); nspawn's output:\n${out.slice(-3000)}`);
    }
  };

  const exec = (cmd: readonly string[], o: { input?: string; timeoutMs?: number } = {}) =>
    run('nsenter', ['-t', String(leader), '-a', '--', 'env', '-i', 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'LANG=C.UTF-8', 'SYSTEMD_PAGER=', 'SYSTEMD_COLORS=0', ...cmd], {
      timeoutMs: o.timeoutMs ?? 60_000,
      ...(o.input === undefined ? {} : { input: o.input }),
    });
  const sh = async (script: string, o: { input?: string; timeoutMs?: number } = {}) => {
    const r = await exec(['sh', '-c', script], o);
    if (r.code !== 0) throw new Error(`in the container, \`${script}\` ${r.timedOut ? `did not end within ${(o.timeoutMs ?? 60_000) / 1000} s` : `exited ${r.code ?? r.signal}`}:\n${r.stdout}${r.stderr}`);
    return r.stdout;
  };

  try {
    const deadline = Date.now() + opts.timeoutMs;
    // The container's PID 1 is nspawn's child once it has exec'd systemd.
    while (!leader) {
      if (exited) throw new Error(`systemd-nspawn exited before the container started:\n${out.slice(-3000)}`);
      if (Date.now() > deadline) throw new Error(`the container did not start within ${opts.timeoutMs / 1000} s:\n${out.slice(-3000)}`);
      const pid = childrenOf(nspawn.pid!).find((p) => commOf(p) === 'systemd');
      if (pid) leader = pid;
      else await sleep(100);
    }
    for (;;) {
      const left = deadline - Date.now();
      const r = await exec(['systemctl', 'is-system-running', '--wait'], { timeoutMs: Math.max(1000, left) });
      const state = r.stdout.trim();
      if (state === 'running') break;
      if (state === 'degraded') {
        const failed = await exec(['systemctl', '--failed', '--no-legend']);
        throw new Error(`the container booted degraded; failed units:\n${failed.stdout}`);
      }
      if (Date.now() > deadline) throw new Error(`the container's boot did not finish within ${opts.timeoutMs / 1000} s (state "${state}"):\n${r.stderr}\n${out.slice(-3000)}`);
      await sleep(250); // systemd not yet reachable on its bus
    }
  } catch (err) {
    await stop().catch(() => undefined);
    throw err;
  }
  return { leader, exec, sh, output: () => out, stop };
}
