// Podman for the container tests, the way it works on this kind of machine: the runc runtime
// (crun fails on hybrid cgroups), explicit ulimits (the defaults exceed the hard limits here),
// host networking (the simulator listens on the host's loopback; no CNI needed). The base image
// is made here, since no registry is reachable: debootstrap --variant=minbase trixie, trimmed
// like Debian's -slim images, cached as a tarball under var/container/ and imported.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';

export const REPO = resolve(import.meta.dirname, '../..');
export const BASE_IMAGE = 'localhost/debian-base:trixie';
export const CACHE_DIR = join(REPO, 'var/container');
export const BASE_TARBALL = join(CACHE_DIR, 'debian-trixie-minbase.tar');
/** Global options for every podman call. */
export const PODMAN_GLOBAL = ['--runtime', 'runc'];
export const LIMITS = ['--ulimit', 'nofile=1024:1024', '--ulimit', 'nproc=1024:1024'];

/** A TCP port free on the loopback right now. */
export function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.once('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const a = srv.address();
      srv.close(() => (a && typeof a === 'object' ? res(a.port) : rej(new Error('no port'))));
    });
  });
}

const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;

/** Why the container tests cannot run here, or undefined when they can. */
export function podmanUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root (rootful podman: host uids are the container uids)';
  for (const c of ['podman', 'runc', 'debootstrap']) if (!has(c)) return `${c} is not installed (scripts/test.sh installs it)`;
  const r = spawnSync('podman', [...PODMAN_GLOBAL, 'info', '--format', '{{.Host.OCIRuntime.Name}}'], { encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) return `podman info fails: ${r.stderr.trim().split('\n').at(-1)}`;
  return undefined;
}

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command asynchronously (the event loop stays free), bounded by `timeoutMs`. */
export function exec(cmd: string, args: readonly string[], opts: { timeoutMs?: number; input?: string; env?: NodeJS.ProcessEnv } = {}): Promise<Run> {
  return new Promise((res, rej) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], env: opts.env ?? process.env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      rej(new Error(`${cmd} ${args.join(' ')} did not finish within ${opts.timeoutMs} ms\n${stdout}\n${stderr}`));
    }, opts.timeoutMs ?? 120_000);
    child.on('error', (e) => {
      clearTimeout(timer);
      rej(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      res({ code, stdout, stderr });
    });
    child.stdin.end(opts.input ?? '');
  });
}

/** podman with the global options; throws with its output unless it exits 0 (or `allowFail`). */
export async function podman(args: readonly string[], opts: { timeoutMs?: number; allowFail?: boolean; input?: string; env?: NodeJS.ProcessEnv } = {}): Promise<Run> {
  const r = await exec('podman', [...PODMAN_GLOBAL, ...args], opts);
  if (r.code !== 0 && !opts.allowFail) throw new Error(`podman ${args.join(' ')} exited ${r.code}:\n${r.stdout}\n${r.stderr}`);
  return r;
}

/**
 * Makes localhost/debian-base:trixie unless podman has it: from the cached tarball, else with
 * debootstrap (then cached). Trimmed like debian:trixie-slim (no apt lists or .debs, no docs, man
 * pages or locales, and dpkg told to skip them on later installs), so image sizes are comparable.
 */
export async function ensureBaseImage(log: (line: string) => void): Promise<'present' | 'imported' | 'bootstrapped'> {
  if ((await podman(['image', 'exists', BASE_IMAGE], { allowFail: true })).code === 0) return 'present';
  let made: 'imported' | 'bootstrapped' = 'imported';
  if (!existsSync(BASE_TARBALL)) {
    made = 'bootstrapped';
    mkdirSync(CACHE_DIR, { recursive: true });
    const root = join(CACHE_DIR, `rootfs-${process.pid}`);
    try {
      log(`debootstrap --variant=minbase trixie ${root}`);
      const d = await exec('debootstrap', ['--variant=minbase', 'trixie', root, 'http://deb.debian.org/debian'], { timeoutMs: 1_200_000 });
      if (d.code !== 0) throw new Error(`debootstrap failed (${d.code}):\n${d.stdout.slice(-3000)}\n${d.stderr.slice(-3000)}`);
      const trim = [
        'rm -rf var/cache/apt/archives/*.deb var/cache/apt/*.bin var/lib/apt/lists/* var/log/*.log var/log/apt/*',
        'find usr/share/doc -mindepth 1 -not -name copyright -not -type d -delete',
        'find usr/share/doc -mindepth 1 -type d -empty -delete',
        'rm -rf usr/share/man/* usr/share/info/* usr/share/locale/* usr/share/lintian usr/share/linda',
      ];
      const t = await exec('sh', ['-c', `cd "$1" && ${trim.join(' && ')}`, 'sh', root]);
      if (t.code !== 0) throw new Error(`trimming the root failed: ${t.stderr}`);
      writeFileSync(join(root, 'etc/dpkg/dpkg.cfg.d/slim'), [
        '# like debian:*-slim: no docs, man pages or translations in images',
        'path-exclude /usr/share/doc/*',
        'path-include /usr/share/doc/*/copyright',
        'path-exclude /usr/share/man/*',
        'path-exclude /usr/share/info/*',
        'path-exclude /usr/share/locale/*',
        '',
      ].join('\n'));
      const tmp = `${BASE_TARBALL}.${process.pid}`;
      const tar = await exec('tar', ['-C', root, '--numeric-owner', '-cf', tmp, '.'], { timeoutMs: 600_000 });
      if (tar.code !== 0) throw new Error(`tar failed: ${tar.stderr}`);
      renameSync(tmp, BASE_TARBALL);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  }
  log(`podman import ${BASE_TARBALL} ${BASE_IMAGE}`);
  await podman(['import', BASE_TARBALL, BASE_IMAGE], { timeoutMs: 600_000 });
  return made;
}
