import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { PmiError } from './errors.ts';

export interface AgentLock {
  release(): void;
}

/** True when a process with this pid exists (EPERM: it exists but belongs to someone else). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Takes the lock file beside the database (created exclusively, holding our pid), so two agents
 * never run on one database: two inboxes would execute the same queued action and two
 * publishers would race for the same release. A lock left by a dead process (kill -9) is taken
 * over. Throws AGENT_RUNNING naming the other pid.
 */
export function acquireAgentLock(file: string, pid = process.pid): AgentLock {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, 'wx', 0o640);
      writeSync(fd, `${pid}\n`);
      closeSync(fd);
      return {
        release() {
          try {
            if (readFileSync(file, 'utf8').trim() === String(pid)) unlinkSync(file);
          } catch {
            // Already gone: nothing to release.
          }
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const other = Number.parseInt(readFileSync(file, 'utf8'), 10);
      if (Number.isInteger(other) && other > 0 && other !== pid && alive(other)) {
        throw new PmiError('AGENT_RUNNING', `another pmi-agent (pid ${other}) is using this database; lock file ${file}`, { details: { pid: other, file } });
      }
      unlinkSync(file); // stale: its process is gone
    }
  }
  throw new PmiError('AGENT_RUNNING', `cannot take the lock file ${file}`);
}
