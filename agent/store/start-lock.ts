// The start lock: one agent per database, held by the kernel (issue 12 item 10).
//
// It used to be a pid file: after a reboot any live process that got the old pid (and, through
// EPERM, every other user's process; `echo 1 > lock` for good) kept the agent down. Now the lock
// is an fcntl() write lock that SQLite takes on a separate, always-empty file (`BEGIN EXCLUSIVE`
// on it, never committed): the kernel drops it when the process dies, whatever the file holds.
// Why SQLite's locking and not a package: Node 20 has no flock()/fcntl() binding, the npm ones
// (fs-ext, …) are native builds, and proper-lockfile & co. are mtime/mkdir schemes, not kernel
// locks. better-sqlite3 is already here, and SQLite's unix VFS locking is the best-tested
// fcntl() code there is; it also shares locks between connections of one process correctly.
import SqliteDatabase from 'better-sqlite3';
import { readFileSync, statSync, truncateSync } from 'node:fs';
import { PmiError } from '../errors.ts';

export interface StartLock {
  release(): void;
}

/** Best effort, for the message only: the pid holding a POSIX lock on this inode (/proc/locks). */
function holderPid(file: string): number | undefined {
  try {
    const ino = statSync(file).ino;
    for (const line of readFileSync('/proc/locks', 'utf8').split('\n')) {
      const f = line.trim().split(/\s+/);
      // "1: POSIX  ADVISORY  WRITE 4242 08:01:1234567 1073741824 1073741824"
      if (f[1] === 'POSIX' && f[5]?.endsWith(`:${ino}`)) return Number(f[4]);
    }
  } catch {
    // no /proc or the file vanished: the message goes without a pid
  }
  return undefined;
}

/**
 * Takes the start lock on `file` (created if missing) or throws AGENT_RUNNING naming the holder.
 * Content left in the file (a pid from older versions, `echo 1 > lock`) means nothing and is
 * cleared: only a live holder of the kernel lock refuses the start.
 */
export function acquireStartLock(file: string): StartLock {
  try {
    // Truncating opens and closes the file, which would drop a POSIX lock this very process holds
    // on it; our own lock file is always empty, so it is only ever done to a file we do not hold.
    if (statSync(file).size > 0) truncateSync(file, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  // timeout 0: a held lock answers SQLITE_BUSY at once instead of blocking the start
  const db = new SqliteDatabase(file, { timeout: 0 });
  try {
    db.exec('BEGIN EXCLUSIVE');
  } catch (err) {
    db.close();
    if ((err as { code?: string }).code === 'SQLITE_BUSY') {
      const pid = holderPid(file);
      throw new PmiError('AGENT_RUNNING', `another pmi-agent${pid ? ` (pid ${pid})` : ''} is using this database; it holds the lock on ${file}`, { details: { file, ...(pid && { pid }) } });
    }
    throw new PmiError('AGENT_RUNNING', `cannot take the start lock ${file}: ${(err as Error).message}`, { cause: err });
  }
  let held = true;
  return {
    release() {
      if (!held) return;
      held = false;
      try {
        db.exec('ROLLBACK');
      } finally {
        db.close();
      }
    },
  };
}
