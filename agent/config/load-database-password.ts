// The PostgreSQL password (issue 17 item 1), from the same kinds of places as the token secrets:
// a file only its owner can read (`database.passwordFile`) or a systemd credential
// (`database.passwordCredential`, read from $CREDENTIALS_DIRECTORY/<name>). Neither given: the
// URL's own password, or none (peer/trust auth, ~/.pgpass). Messages name paths, never the password.
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { DatabaseConfig } from './database-config.schema.ts';
import { fsReason, insecureModeReason } from './load-secrets.ts';
import { PmiError } from '../errors.ts';

export function loadDatabasePassword(db: Pick<DatabaseConfig, 'passwordFile' | 'passwordCredential'>, credentialsDir?: string): string | undefined {
  if (db.passwordFile !== undefined) {
    const path = db.passwordFile;
    let mode: number;
    try {
      const st = statSync(path);
      if (!st.isFile()) throw new Error('not a regular file');
      mode = st.mode;
    } catch (err) {
      throw new PmiError('SECRET_UNREADABLE', `database.passwordFile: cannot read ${path}: ${fsReason(err)}`, { cause: err, details: { path } });
    }
    const bad = insecureModeReason(mode);
    if (bad) throw new PmiError('SECRET_INSECURE', `database.passwordFile ${path} is ${bad}; run chmod 600 ${path}`, { details: { path, mode: mode & 0o777 } });
    return read(path, `database.passwordFile ${path}`);
  }
  if (db.passwordCredential !== undefined) {
    const name = db.passwordCredential;
    if (name.includes('/') || name === '.' || name === '..') {
      throw new PmiError('SECRET_UNREADABLE', `database.passwordCredential "${name}" must be a plain credential name (no "/")`);
    }
    if (!credentialsDir) {
      throw new PmiError('SECRET_UNREADABLE', `database.passwordCredential "${name}" needs $CREDENTIALS_DIRECTORY, which is not set; run under systemd with "LoadCredential=${name}:/etc/pmi-agent/secrets/${name}" (or set CREDENTIALS_DIRECTORY for a manual run)`);
    }
    const path = join(credentialsDir, name);
    return read(path, `systemd credential "${name}" (${path})`);
  }
  return undefined;
}

function read(path: string, what: string): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8').trimEnd();
  } catch (err) {
    throw new PmiError('SECRET_UNREADABLE', `cannot read the database password from ${what}: ${fsReason(err)}`, { cause: err, details: { path } });
  }
  if (text.length === 0) throw new PmiError('SECRET_UNREADABLE', `the database password in ${what} is empty`, { details: { path } });
  return text;
}

