// The one read the health check makes: when did a cluster last answer a poll (clusters.last_ok_at,
// epoch seconds). Opened read-only with its own short-lived handle, so the probe never migrates,
// locks or writes the database the running agent owns.
import Database from 'better-sqlite3';

/** Newest last_ok_at over all clusters; undefined when no poll ever succeeded. Throws when the file is missing. */
export function readLastGoodPollSec(file: string): number | undefined {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    db.pragma('busy_timeout = 2000');
    const row = db.prepare('select max(last_ok_at) as t from clusters').get() as { t: number | null } | undefined;
    return row?.t ?? undefined;
  } finally {
    db.close();
  }
}
