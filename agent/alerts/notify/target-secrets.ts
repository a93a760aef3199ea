// A notification target's secret (webhook HMAC key, ntfy/Gotify token, Slack webhook URL, SMTP
// password), from a file only its owner can read, a systemd credential, or — warned — the config,
// exactly like the clusters' token secrets (agent/config/load-secrets.ts).
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { PmiError } from '../../errors.ts';
import { insecureModeReason } from '../../config/load-secrets.ts';
import type { Target } from '../alerts-config.schema.ts';
import type { Logger } from '../../log/logger.ts';

export function loadTargetSecret(t: Target, src: { credentialsDir?: string; log?: Pick<Logger, 'warn'> } = {}): string | undefined {
  const what = `alerts target "${t.name}"`;
  const read = (path: string, label: string) => {
    let s: string;
    try {
      s = readFileSync(path, 'utf8').trimEnd();
    } catch (err) {
      throw new PmiError('SECRET_UNREADABLE', `${what}: cannot read ${label} ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, { cause: err });
    }
    if (!s) throw new PmiError('SECRET_UNREADABLE', `${what}: ${label} ${path} is empty`);
    return s;
  };
  if (t.secretFile) {
    let mode = 0;
    try {
      mode = statSync(t.secretFile).mode;
    } catch (err) {
      throw new PmiError('SECRET_UNREADABLE', `${what}: cannot read secret file ${t.secretFile}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, { cause: err });
    }
    const reason = insecureModeReason(mode);
    if (reason) throw new PmiError('SECRET_INSECURE', `${what}: secret file ${t.secretFile} is ${reason}; run chmod 600 ${t.secretFile}`);
    return read(t.secretFile, 'secret file');
  }
  if (t.secretCredential) {
    if (t.secretCredential.includes('/')) throw new PmiError('SECRET_UNREADABLE', `${what}: secretCredential must be a plain credential name (no "/")`);
    if (!src.credentialsDir) throw new PmiError('SECRET_UNREADABLE', `${what}: secretCredential "${t.secretCredential}" needs $CREDENTIALS_DIRECTORY (LoadCredential= in the unit)`);
    return read(join(src.credentialsDir, t.secretCredential), 'systemd credential');
  }
  if (t.secret) {
    src.log?.warn({ target: t.name }, `${what}: the secret is written in the config file; move it to a file (secretFile, mode 0600) or a systemd credential (secretCredential)`);
    return t.secret;
  }
  return undefined;
}
