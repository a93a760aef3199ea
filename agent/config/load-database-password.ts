// The PostgreSQL password (issue 17 item 1), from the same kinds of places as the token secrets,
// through the one secret reader (read-secret.ts): a file only its owner can read
// (`database.passwordFile`) or a systemd credential (`database.passwordCredential`, read from
// $CREDENTIALS_DIRECTORY/<name>). Neither given: the URL's own password, or none (peer/trust auth,
// ~/.pgpass). Messages name paths, never the password.
import type { DatabaseConfig } from './database-config.schema.ts';
import { readSecret, type SecretOwner } from './read-secret.ts';

const OWNER: SecretOwner = { label: 'database', what: 'password', credentialKey: 'passwordCredential' };

/** The database password from database.passwordFile or database.passwordCredential; undefined when neither is set. */
export function loadDatabasePassword(db: Pick<DatabaseConfig, 'passwordFile' | 'passwordCredential'>, credentialsDir?: string): string | undefined {
  if (db.passwordFile !== undefined) return readSecret(OWNER, { file: db.passwordFile });
  if (db.passwordCredential !== undefined) return readSecret(OWNER, { credential: db.passwordCredential, credentialsDir });
  return undefined;
}
