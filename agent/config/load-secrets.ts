// A cluster's (or PBS server's) token secret: a file or a systemd credential through the one
// secret reader (read-secret.ts), or inline in the config (warned).
import type { ClusterConfig } from './config.schema.ts';
import { PmiError } from '../errors.ts';
import type { Logger } from '../log/logger.ts';
import { readSecret, type SecretOwner } from './read-secret.ts';

export interface SecretSource {
  /** `$CREDENTIALS_DIRECTORY` as systemd set it for the service (LoadCredential=); passed in by the caller. */
  credentialsDir?: string;
  /** Gets the warning about an inline secret. */
  log?: Pick<Logger, 'warn'>;
  /** Whose secret the messages name; default `cluster "NAME"` (a PBS server passes `PBS server "NAME"`). */
  owner?: string;
}

/**
 * The token secret of one cluster, from exactly one of: a file only its owner can read
 * (`tokenSecretFile`), a systemd credential (`tokenSecretCredential`, read from
 * `$CREDENTIALS_DIRECTORY/<name>`) or the config itself (`tokenSecret`, warned about at every
 * start). Trailing whitespace/newlines are trimmed. Throws PmiError SECRET_INSECURE for a file
 * group or others may access and SECRET_UNREADABLE for anything missing or empty. Error messages
 * name paths, never the secret.
 */
export function loadSecret(cluster: Pick<ClusterConfig, 'name' | 'tokenSecretFile' | 'tokenSecretCredential' | 'tokenSecret'>, src: SecretSource = {}): string {
  const owner: SecretOwner = { label: src.owner ?? `cluster "${cluster.name}"`, what: 'token secret', credentialKey: 'tokenSecretCredential', details: { cluster: cluster.name } };
  if (cluster.tokenSecretFile !== undefined) return readSecret(owner, { file: cluster.tokenSecretFile });
  if (cluster.tokenSecretCredential !== undefined) return readSecret(owner, { credential: cluster.tokenSecretCredential, credentialsDir: src.credentialsDir });
  if (cluster.tokenSecret !== undefined) {
    src.log?.warn(
      { cluster: cluster.name },
      `${owner.label}: the token secret is written in the config file; move it to a file (tokenSecretFile, mode 0600) or a systemd credential (tokenSecretCredential)`,
    );
    const inline = cluster.tokenSecret.trimEnd();
    if (inline.length === 0) throw new PmiError('SECRET_UNREADABLE', `${owner.label}: the inline tokenSecret is empty`, { details: owner.details });
    return inline;
  }
  throw new PmiError('SECRET_UNREADABLE', `${owner.label}: no token secret configured (set tokenSecretFile, tokenSecretCredential or tokenSecret)`);
}
