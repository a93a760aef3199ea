// The start lock (issue 12 item 10): a kernel lock, not a pid file. Regressions: a stale pid that
// now belongs to an unrelated live process, and `echo 1 > lock`, both kept the agent down for good.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { acquireAgentLock } from '../../agent/agent-lock.ts';

const HOLDER = resolve(import.meta.dirname, '../support/hold-start-lock.ts');
const dirs: string[] = [];
const children: ChildProcess[] = [];

const lockFile = () => {
  const d = mkdtempSync(join(tmpdir(), 'pmi-lock-'));
  dirs.push(d);
  return join(d, 'pmi.sqlite.lock');
};

afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** Spawns a process; resolves once it printed `marker`, fails with its output after `ms`. */
function startChild(args: string[], marker: string | undefined, ms = 60_000): Promise<ChildProcess> {
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  if (!marker) return Promise.resolve(child);
  let out = '';
  return new Promise((res, rej) => {
    const timer = setTimeout(() => rej(new Error(`child did not say "${marker}" within ${ms} ms; output:\n${out}`)), ms);
    const onData = (b: Buffer) => {
      out += b.toString();
      if (out.includes(marker)) {
        clearTimeout(timer);
        res(child);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code, sig) => {
      clearTimeout(timer);
      rej(new Error(`child exited (${code ?? sig}) before saying "${marker}"; output:\n${out}`));
    });
  });
}

const exited = (c: ChildProcess, ms = 30_000) =>
  new Promise<void>((res, rej) => {
    if (c.exitCode !== null || c.signalCode !== null) return res();
    const t = setTimeout(() => rej(new Error(`child ${c.pid} still alive after ${ms} ms`)), ms);
    c.once('exit', () => (clearTimeout(t), res()));
  });

describe('agent start lock', () => {
  it('a second agent on the same database is refused while the first holds the lock, in this process too', () => {
    const f = lockFile();
    const first = acquireAgentLock(f);
    expect(() => acquireAgentLock(f)).toThrow(/another pmi-agent .*is using this database/);
    first.release();
    acquireAgentLock(f).release();
  });

  it('the holder in another process is named, and its lock goes when it is killed with SIGKILL', async () => {
    const f = lockFile();
    const holder = await startChild(['--import', 'tsx', HOLDER, f], 'locked');
    expect(() => acquireAgentLock(f)).toThrow(new RegExp(`another pmi-agent \\(pid ${holder.pid}\\) is using this database`));
    holder.kill('SIGKILL');
    await exited(holder);
    acquireAgentLock(f).release();
  });

  it('old pid now belongs to an unrelated live process: the agent starts', async () => {
    const f = lockFile();
    // an unrelated live process that "got the old pid" after a reboot
    const unrelated = await startChild(['-e', 'process.stdout.write("up\\n"); setInterval(() => {}, 60000)'], 'up');
    writeFileSync(f, `${unrelated.pid}\n`);
    const lock = acquireAgentLock(f);
    expect(unrelated.exitCode).toBeNull();
    lock.release();
  });

  it('`echo 1 > lock` (pid 1: init, alive, EPERM for other users) does not block the start', () => {
    const f = lockFile();
    writeFileSync(f, '1\n');
    acquireAgentLock(f).release();
    writeFileSync(f, 'not a pid at all, nor a database\n');
    acquireAgentLock(f).release();
  });
});
