// A throw-away PostgreSQL server on loopback for the tests and the benchmark (issue 17 item 3):
// initdb into a temporary directory, its own port on 127.0.0.1 and its own unix socket directory,
// run as the `postgres` user when we are root (postgres refuses to run as root), stopped and
// removed by stop(). Debian's `postgresql` package provides the binaries (scripts/test.sh installs it).
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

export interface PgServer {
  /** postgres://pmi:…@127.0.0.1:PORT/postgres — the superuser, password included. */
  url: string;
  password: string;
  port: number;
  dataDir: string;
  stop(): Promise<void>;
}

/** The newest installed PostgreSQL's bin directory (Debian puts them under /usr/lib/postgresql/N/bin). */
export function pgBinDir(): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).filter((v) => existsSync(join(root, v, 'bin', 'initdb'))) : [];
  versions.sort((a, b) => Number(b) - Number(a));
  if (!versions[0]) throw new Error('PostgreSQL is not installed (no /usr/lib/postgresql/N/bin/initdb); run scripts/test.sh, which installs Debian\'s postgresql');
  return join(root, versions[0], 'bin');
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      s.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

/** As root, commands run as `postgres` (created by Debian's package; postgres refuses root); otherwise as ourselves. */
function asServerUser(): { uid: number; gid: number; wrap: (cmd: string, args: string[]) => [string, string[]] } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
  // setpriv execs the command itself (no session wrapper between us and postgres), so our signals
  // reach it; --pdeathsig stops the server (fast shutdown) if the test run itself is killed
  return { uid, gid, wrap: (cmd, args) => ['setpriv', [`--reuid=${uid}`, `--regid=${gid}`, '--init-groups', '--pdeathsig', 'INT', '--', cmd, ...args]] };
}

/** Starts a fresh server; rejects with the server's log when it does not accept connections within `timeoutMs`. */
export async function startPgServer(opts: { parentDir?: string; timeoutMs?: number; /** Extra server settings (`-c name=value`), e.g. for a profile. */ settings?: Record<string, string> } = {}): Promise<PgServer> {
  const bin = pgBinDir();
  const user = asServerUser();
  const dir = mkdtempSync(join(opts.parentDir ?? tmpdir(), 'pmi-pg-'));
  const dataDir = join(dir, 'data');
  const password = `pw-${Math.random().toString(36).slice(2)}`;
  const pwFile = join(dir, 'pw');
  writeFileSync(pwFile, password, { mode: 0o600 });
  if (user) {
    chownSync(dir, user.uid, user.gid);
    chownSync(pwFile, user.uid, user.gid);
  }
  const run = (cmd: string, args: string[]): [string, string[]] => (user ? user.wrap(cmd, args) : [cmd, args]);
  const [ic, ia] = run(join(bin, 'initdb'), ['-D', dataDir, '-U', 'pmi', `--pwfile=${pwFile}`, '--auth-local=trust', '--auth-host=scram-sha-256', '-E', 'UTF8', '--locale=C.UTF-8', '--no-sync']);
  try {
    execFileSync(ic, ia, { stdio: 'pipe', cwd: dir });
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    const e = err as { stderr?: Buffer; stdout?: Buffer };
    throw new Error(`initdb failed: ${e.stderr?.toString() ?? ''}${e.stdout?.toString() ?? ''}`, { cause: err });
  }
  const port = await freePort();
  // Durability is not what a test run needs: no fsync, no full-page writes.
  const [pc, pa] = run(join(bin, 'postgres'), [
    '-D', dataDir, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-c', `unix_socket_directories=${dir}`,
    '-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off', '-c', 'max_connections=200',
    '-c', 'shared_buffers=128MB', '-c', 'max_locks_per_transaction=256',
    ...Object.entries(opts.settings ?? {}).flatMap(([k, v]) => ['-c', `${k}=${v}`]),
  ]);
  const child: ChildProcess = spawn(pc, pa, { stdio: ['ignore', 'pipe', 'pipe'], cwd: dir });
  let log = '';
  child.stdout?.on('data', (d: Buffer) => (log += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (log += d.toString()));
  const url = `postgres://pmi:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`;
  const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGINT'); // fast shutdown
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  for (;;) {
    if (child.exitCode !== null) {
      await stop();
      throw new Error(`postgres exited (${child.exitCode}) before accepting connections:\n${log}`);
    }
    if (existsSync(join(dataDir, 'postmaster.pid')) && /ready to accept connections/.test(log)) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`postgres did not accept connections within ${opts.timeoutMs ?? 60_000} ms:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { url, password, port, dataDir, stop };
}

/**
 * Creates database `name` on the server at `adminUrl` (a copy of `template` when given) and
 * returns its URL: the same credentials, the new database's path.
 */
export async function createDatabase(adminUrl: string, name: string, template?: string): Promise<string> {
  const c = new pg.Client({ connectionString: adminUrl });
  await c.connect();
  try {
    await c.query(`create database "${name}"${template ? ` template "${template}"` : ''}`);
  } finally {
    await c.end();
  }
  const u = new URL(adminUrl);
  u.pathname = `/${name}`;
  return u.toString();
}
