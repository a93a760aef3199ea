import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { acquireAgentLock } from '../../agent/agent-lock.ts';

const lockFile = () => join(mkdtempSync(join(tmpdir(), 'pmi-lock-')), 'pmi.sqlite.lock');

describe('agent lock', () => {
  it('a second agent on the same database is refused, naming the first', () => {
    const f = lockFile();
    const first = acquireAgentLock(f);
    // process.ppid is alive: stands in for another running agent.
    expect(() => acquireAgentLock(f, process.ppid)).toThrow(new RegExp(`another pmi-agent \\(pid ${process.pid}\\) is using this database`));
    first.release();
    expect(existsSync(f)).toBe(false);
    acquireAgentLock(f, process.ppid).release();
  });

  it('a lock left by a process that died (kill -9) is taken over', () => {
    const f = lockFile();
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
    writeFileSync(f, `${dead}\n`);
    const lock = acquireAgentLock(f);
    expect(readFileSync(f, 'utf8').trim()).toBe(String(process.pid));
    lock.release();
  });
});
