import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { ClusterConfig } from './config.schema.ts';
import { PmiError, errorMessage } from '../errors.ts';
import type { Logger } from '../log/logger.ts';

export interface SecretSource {
  /** `$CREDENTIALS_DIRECTORY` as systemd set it for the service (LoadCredential=); passed in by the caller. */
  credentialsDir?: string;
  /** Gets the warning about an inline secret. */
  log?: Pick<Logger, 'warn'>;
  /** Whose secret the messages name; default `cluster "NAME"` (a PBS server passes `PBS server "NAME"`). */
  owner?: string;
}

/** The subject of a secret's messages: its config name and how a person reads it. */
interface Owner {
  name: string;
  label: string;
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
  const owner: Owner = { name: cluster.name, label: src.owner ?? `cluster "${cluster.name}"` };
  if (cluster.tokenSecretFile !== undefined) return readSecretFile(owner, cluster.tokenSecretFile);
  if (cluster.tokenSecretCredential !== undefined) return readCredential(owner, cluster.tokenSecretCredential, src.credentialsDir);
  if (cluster.tokenSecret !== undefined) {
    src.log?.warn(
      { cluster: cluster.name },
      `${owner.label}: the token secret is written in the config file; move it to a file (tokenSecretFile, mode 0600) or a systemd credential (tokenSecretCredential)`,
    );
    return nonEmpty(owner, cluster.tokenSecret.trimEnd(), 'the inline tokenSecret');
  }
  throw new PmiError('SECRET_UNREADABLE', `${owner.label}: no token secret configured (set tokenSecretFile, tokenSecretCredential or tokenSecret)`);
}

/** The reason a file mode is unsafe for a secret, or undefined when only the owner has access. */
export function insecureModeReason(mode: number): string | undefined {
  const perm = mode & 0o777;
  if ((perm & 0o077) === 0) return undefined;
  const what = perm & 0o044 ? 'readable' : 'writable';
  return `${what} by group/others (mode ${perm.toString(8).padStart(4, '0')})`;
}

function readSecretFile(owner: Owner, path: string): string {
  let mode: number;
  try {
    const st = statSync(path);
    if (!st.isFile()) throw new Error('not a regular file');
    mode = st.mode;
  } catch (err) {
    throw new PmiError('SECRET_UNREADABLE', `${owner.label}: cannot read token secret file ${path}: ${fsReason(err)}`, { cause: err, details: { cluster: owner.name, path } });
  }
  const reason = insecureModeReason(mode);
  if (reason) {
    throw new PmiError('SECRET_INSECURE', `${owner.label}: token secret file ${path} is ${reason}; run chmod 600 ${path}`, { details: { cluster: owner.name, path, mode: mode & 0o777 } });
  }
  return nonEmpty(owner, readText(owner, path, 'token secret file'), `token secret file ${path}`);
}

function readCredential(owner: Owner, name: string, dir: string | undefined): string {
  if (name.includes('/') || name === '.' || name === '..') {
    throw new PmiError('SECRET_UNREADABLE', `${owner.label}: tokenSecretCredential "${name}" must be a plain credential name (no "/")`, { details: { cluster: owner.name } });
  }
  if (!dir) {
    throw new PmiError(
      'SECRET_UNREADABLE',
      `${owner.label}: tokenSecretCredential "${name}" needs $CREDENTIALS_DIRECTORY, which is not set; run under systemd with "LoadCredential=${name}:/etc/pmi-agent/secrets/${name}" (or set CREDENTIALS_DIRECTORY for a manual run)`,
      { details: { cluster: owner.name, credential: name } },
    );
  }
  const path = join(dir, name);
  return nonEmpty(owner, readText(owner, path, `systemd credential "${name}"`), `systemd credential "${name}" (${path})`);
}

function readText(owner: Owner, path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8').trimEnd();
  } catch (err) {
    throw new PmiError('SECRET_UNREADABLE', `${owner.label}: cannot read ${what} ${path}: ${fsReason(err)}`, { cause: err, details: { cluster: owner.name, path } });
  }
}

function nonEmpty(owner: Owner, secret: string, what: string): string {
  if (secret.length === 0) throw new PmiError('SECRET_UNREADABLE', `${owner.label}: ${what} is empty`, { details: { cluster: owner.name } });
  return secret;
}

/** Why a secret file could not be read, in words an operator acts on (shared by every secret reader). */
export function fsReason(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES') return 'permission denied (the service user must be able to read it)';
  return errorMessage(err);
}
