// The one reader of secrets kept outside the config (cluster and PBS token secrets, the PostgreSQL
// password, the alert targets' secrets): a file only its owner can read, or a systemd credential
// (LoadCredential=, read from $CREDENTIALS_DIRECTORY/<name>). Every message has one format,
// `<owner>: <problem> <source>`, and names the source (the path, the credential), never the secret.
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { PmiError, errorMessage } from '../errors.ts';

/** Whose secret it is and what it is called, for the messages. */
export interface SecretOwner {
  /** How a person reads the owner: `cluster "lab"`, `PBS server "pbs1"`, `database`, `alerts target "ops"`. */
  label: string;
  /** What the secret is: `token secret`, `password`, `secret`. */
  what: string;
  /** The config key naming a credential, e.g. `tokenSecretCredential` (quoted in the credential's messages). */
  credentialKey: string;
  /** Added to the errors' details (e.g. `{ cluster: "lab" }`). */
  details?: Record<string, unknown>;
}

/** Where a secret is: a file (mode 0600) or a systemd credential in `credentialsDir`. */
export type SecretSource = { file: string } | { credential: string; credentialsDir?: string | undefined };

/** Reads a secret from its file or systemd credential, trailing whitespace trimmed; throws PmiError SECRET_INSECURE / SECRET_UNREADABLE. */
export function readSecret(owner: SecretOwner, source: SecretSource): string {
  return 'file' in source ? readSecretFile(owner, source.file) : readCredential(owner, source.credential, source.credentialsDir);
}

/** The reason a file mode is unsafe for a secret, or undefined when only the owner has access. */
export function insecureModeReason(mode: number): string | undefined {
  const perm = mode & 0o777;
  if ((perm & 0o077) === 0) return undefined;
  const what = perm & 0o044 ? 'readable' : 'writable';
  return `${what} by group/others (mode ${perm.toString(8).padStart(4, '0')})`;
}

/** Why a secret file could not be read, in words an operator acts on. */
export function fsReason(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES') return 'permission denied (the service user must be able to read it)';
  return errorMessage(err);
}

function readSecretFile(owner: SecretOwner, path: string): string {
  const source = `${owner.what} file ${path}`;
  let mode: number;
  try {
    const st = statSync(path);
    if (!st.isFile()) throw new Error('not a regular file');
    mode = st.mode;
  } catch (err) {
    throw new PmiError('SECRET_UNREADABLE', `${owner.label}: cannot read ${source}: ${fsReason(err)}`, { cause: err, details: { ...owner.details, path } });
  }
  const reason = insecureModeReason(mode);
  if (reason) throw new PmiError('SECRET_INSECURE', `${owner.label}: ${source} is ${reason}; run chmod 600 ${path}`, { details: { ...owner.details, path, mode: mode & 0o777 } });
  return readText(owner, path, source);
}

function readCredential(owner: SecretOwner, name: string, dir: string | undefined): string {
  if (name.includes('/') || name === '.' || name === '..') {
    throw new PmiError('SECRET_UNREADABLE', `${owner.label}: ${owner.credentialKey} "${name}" must be a plain credential name (no "/")`, { details: { ...owner.details, credential: name } });
  }
  if (!dir) {
    throw new PmiError(
      'SECRET_UNREADABLE',
      `${owner.label}: ${owner.credentialKey} "${name}" needs $CREDENTIALS_DIRECTORY, which is not set; run under systemd with "LoadCredential=${name}:/etc/pmi-agent/secrets/${name}" (or set CREDENTIALS_DIRECTORY for a manual run)`,
      { details: { ...owner.details, credential: name } },
    );
  }
  const path = join(dir, name);
  return readText(owner, path, `systemd credential "${name}" ${path}`);
}

function readText(owner: SecretOwner, path: string, source: string): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8').trimEnd();
  } catch (err) {
    throw new PmiError('SECRET_UNREADABLE', `${owner.label}: cannot read ${source}: ${fsReason(err)}`, { cause: err, details: { ...owner.details, path } });
  }
  if (text.length === 0) throw new PmiError('SECRET_UNREADABLE', `${owner.label}: ${source} is empty`, { details: { ...owner.details, path } });
  return text;
}
