// Consistent copy of a live database (SQLite online backup API; SQLite-only, see sqlite-dialect.ts).
import SqliteDatabase from 'better-sqlite3';
import { existsSync, renameSync, rmSync } from 'node:fs';

export interface BackupProgress {
  totalPages: number;
  remainingPages: number;
}

/**
 * Copies `source` to `dest` with the online backup API while the agent keeps writing: the copy is
 * one consistent snapshot (WAL content included) and is written to `dest.partial` first, then
 * renamed, so `dest` never holds half a copy. Works without write access to the source folder
 * beyond what WAL readers need. Returns the pages copied.
 */
export async function backupDatabase(source: string, dest: string, onProgress?: (p: BackupProgress) => void): Promise<number> {
  if (!existsSync(source)) throw new Error(`database ${source} does not exist`);
  const partial = `${dest}.partial`;
  rmSync(partial, { force: true });
  const db = new SqliteDatabase(source, { readonly: true, fileMustExist: true });
  try {
    db.pragma('busy_timeout = 10000');
    let total = 0;
    await db.backup(partial, {
      progress: (p) => {
        total = p.totalPages;
        onProgress?.(p);
        // Copy in steps of 2,000 pages so the agent's writes interleave.
        return 2000;
      },
    });
    // The copy is a standalone file: no WAL needed to read it.
    const copy = new SqliteDatabase(partial);
    copy.pragma('journal_mode = DELETE');
    copy.close();
    renameSync(partial, dest);
    return total;
  } catch (err) {
    rmSync(partial, { force: true });
    throw err;
  } finally {
    db.close();
  }
}
