// Throw-away users and groups for the inbox's hostile-member tests (issue 11): the suite runs as
// root, creates them (names start with "pmi11"), runs every attacker step in a child process with
// that user's uid, gid and groups (setpriv), and removes them at the end. Leftovers of an
// interrupted run are removed first.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmod, chown, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

export const SUBMIT_GROUP = 'pmi11submit';
export const AGENT = 'pmi11agent';
export const USERS = { agent: AGENT, alice: 'pmi11alice', mallory: 'pmi11mallory', outsider: 'pmi11outsider' } as const;

export interface TestUser {
  name: string;
  uid: number;
  gid: number;
}

const quiet = (cmd: string, args: string[]) => {
  try {
    execFileSync(cmd, args, { stdio: 'ignore' });
  } catch {
    // absent already
  }
};

/** Removes the pmi11 users and group (tolerates their absence). */
export function removeHostileUsers(): void {
  for (const u of Object.values(USERS)) quiet('userdel', [u]);
  quiet('groupdel', [SUBMIT_GROUP]);
  for (const u of Object.values(USERS)) quiet('groupdel', [u]);
}

/** Creates the agent, alice and mallory in the submit group, and an outsider who is not. */
export function createHostileUsers(): Record<keyof typeof USERS, TestUser> & { submitGid: number } {
  removeHostileUsers();
  execFileSync('groupadd', [SUBMIT_GROUP]);
  for (const [key, name] of Object.entries(USERS)) {
    const groups = key === 'outsider' ? [] : ['--groups', SUBMIT_GROUP];
    execFileSync('useradd', ['--no-create-home', '--home-dir', '/nonexistent', '--shell', '/usr/sbin/nologin', '--user-group', ...groups, name]);
  }
  const info = (name: string): TestUser => ({
    name,
    uid: Number(execFileSync('id', ['-u', name], { encoding: 'utf8' }).trim()),
    gid: Number(execFileSync('id', ['-g', name], { encoding: 'utf8' }).trim()),
  });
  const submitGid = Number(execFileSync('getent', ['group', SUBMIT_GROUP], { encoding: 'utf8' }).split(':')[2]);
  return { agent: info(USERS.agent), alice: info(USERS.alice), mallory: info(USERS.mallory), outsider: info(USERS.outsider), submitGid };
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** argv to run a command as `user` (its uid, primary gid and supplementary groups). */
export function asUserArgv(user: string, argv: string[]): string[] {
  return ['setpriv', `--reuid=${user}`, `--regid=${user}`, '--init-groups', '--', ...argv];
}

/** Starts a long-running command as `user` (the caller kills it); stdout piped, stderr ignored. */
export function spawnAs(user: string, argv: string[], env: Record<string, string> = {}): ChildProcess {
  const [cmd, ...args] = asUserArgv(user, argv);
  return spawn(cmd!, args, { cwd: '/', env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env }, stdio: ['ignore', 'pipe', 'ignore'] });
}

/** Runs a command as `user`; bounded, and the error names the command and shows its output. */
export async function runAs(user: string, argv: string[], opts: { env?: Record<string, string>; timeoutMs?: number; cwd?: string } = {}): Promise<RunResult> {
  const [cmd, ...args] = asUserArgv(user, argv);
  const child = spawn(cmd!, args, { cwd: opts.cwd ?? '/', env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const timeoutMs = opts.timeoutMs ?? 60_000;
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${argv.join(' ')} as ${user} did not end within ${timeoutMs} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(t);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Runs an ES module snippet with plain node as `user` (env INBOX etc. as given); throws on a non-zero exit. */
export async function nodeAs(user: string, code: string, env: Record<string, string> = {}): Promise<string> {
  const r = await runAs(user, [process.execPath, '--input-type=module', '-e', code], { env });
  if (r.code !== 0) throw new Error(`attacker step as ${user} failed (exit ${r.code})\n${r.stderr}${r.stdout}`);
  return r.stdout;
}

/**
 * Lays an inbox out exactly as the shipped tmpfiles.d entry does for /var/spool/pmi-agent/inbox
 * (modes, owner = the agent, group = the submit group), mapped onto `inbox`.
 */
export async function layOutInboxLikeInstall(inbox: string, agent: TestUser, submitGid: number): Promise<void> {
  const conf = await readFile(join(import.meta.dirname, '../../systemd/pmi-agent.tmpfiles.conf'), 'utf8');
  const lines = conf.split('\n').filter((l) => /^d\s+\/var\/spool\/pmi-agent\/inbox(\/|\s)/.test(l));
  if (lines.length < 7) throw new Error(`pmi-agent.tmpfiles.conf: expected the inbox and its 6 folders, found ${lines.length} lines`);
  for (const l of lines) {
    const [, path, mode] = l.split(/\s+/) as [string, string, string];
    const p = path.replace('/var/spool/pmi-agent/inbox', inbox);
    await mkdir(p, { recursive: true });
    await chown(p, agent.uid, submitGid);
    await chmod(p, parseInt(mode, 8));
  }
}
