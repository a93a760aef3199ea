// A notification target's secret (webhook HMAC key, ntfy/Gotify token, Slack webhook URL, SMTP
// password), from a file only its owner can read or a systemd credential through the one secret
// reader (agent/config/read-secret.ts), or — warned — the config, like the clusters' token secrets.
import { readSecret, type SecretOwner } from '../../config/read-secret.ts';
import type { Target } from '../alerts-config.schema.ts';
import type { Logger } from '../../log/logger.ts';

/** The target's secret from secretFile, secretCredential or (warned) secret; undefined when it has none. */
export function loadTargetSecret(t: Target, src: { credentialsDir?: string; log?: Pick<Logger, 'warn'> } = {}): string | undefined {
  const owner: SecretOwner = { label: `alerts target "${t.name}"`, what: 'secret', credentialKey: 'secretCredential', details: { target: t.name } };
  if (t.secretFile) return readSecret(owner, { file: t.secretFile });
  if (t.secretCredential) return readSecret(owner, { credential: t.secretCredential, credentialsDir: src.credentialsDir });
  if (t.secret) {
    src.log?.warn({ target: t.name }, `${owner.label}: the secret is written in the config file; move it to a file (secretFile, mode 0600) or a systemd credential (secretCredential)`);
    return t.secret;
  }
  return undefined;
}
