import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ClusterConfig } from '../../agent/config/config.schema.ts';
import { loadSecret } from '../../agent/config/load-secrets.ts';
import { insecureModeReason } from '../../agent/config/read-secret.ts';
import { PmiError } from '../../agent/errors.ts';
import { loadDatabasePassword } from '../../agent/config/load-database-password.ts';
import { loadTargetSecret } from '../../agent/alerts/notify/target-secrets.ts';

const SECRET = '5b1c2d3e-0000-4000-8000-123456789abc';

function cluster(extra: Record<string, unknown>): ClusterConfig {
  return ClusterConfig.parse({
    name: 'lab',
    endpoints: ['https://127.0.0.1:8006'],
    tokenId: 'pmi@pve!monitor',
    tls: { insecure: true },
    ...extra,
  });
}

function thrown(fn: () => unknown): PmiError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(PmiError);
    return err as PmiError;
  }
  throw new Error('expected a throw');
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ops-secrets-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('loadSecret from tokenSecretFile', () => {
  it.each([0o600, 0o400])('reads a file with mode %o and trims the trailing newline', (mode) => {
    const f = join(dir, 'lab.secret');
    writeFileSync(f, `${SECRET}\n`);
    chmodSync(f, mode);
    expect(loadSecret(cluster({ tokenSecretFile: f }))).toBe(SECRET);
  });

  it.each([
    [0o644, 'readable by group/others (mode 0644)'],
    [0o640, 'readable by group/others (mode 0640)'],
    [0o604, 'readable by group/others (mode 0604)'],
    [0o620, 'writable by group/others (mode 0620)'],
  ])('refuses mode %o as SECRET_INSECURE with the chmod fix', (mode, reason) => {
    const f = join(dir, 'lab.secret');
    writeFileSync(f, SECRET);
    chmodSync(f, mode);
    const err = thrown(() => loadSecret(cluster({ tokenSecretFile: f })));
    expect(err.code).toBe('SECRET_INSECURE');
    expect(err.message).toBe(`cluster "lab": token secret file ${f} is ${reason}; run chmod 600 ${f}`);
    expect(err.message).not.toContain(SECRET);
  });

  it('names the path of a missing file', () => {
    const f = join(dir, 'nope.secret');
    const err = thrown(() => loadSecret(cluster({ tokenSecretFile: f })));
    expect(err.code).toBe('SECRET_UNREADABLE');
    expect(err.message).toContain(`${f}: no such file`);
  });

  it('refuses an empty file and a directory', () => {
    const f = join(dir, 'empty.secret');
    writeFileSync(f, '\n');
    chmodSync(f, 0o600);
    expect(thrown(() => loadSecret(cluster({ tokenSecretFile: f }))).message).toContain('is empty');
    expect(thrown(() => loadSecret(cluster({ tokenSecretFile: dir }))).code).toBe('SECRET_UNREADABLE');
  });
});

describe('loadSecret from a systemd credential', () => {
  it('reads $CREDENTIALS_DIRECTORY/<name>', () => {
    writeFileSync(join(dir, 'pmi-lab'), `${SECRET}\r\n`);
    expect(loadSecret(cluster({ tokenSecretCredential: 'pmi-lab' }), { credentialsDir: dir })).toBe(SECRET);
  });

  it('explains what to do when the credentials directory is not set', () => {
    const err = thrown(() => loadSecret(cluster({ tokenSecretCredential: 'pmi-lab' }), {}));
    expect(err.code).toBe('SECRET_UNREADABLE');
    expect(err.message).toContain('$CREDENTIALS_DIRECTORY');
    expect(err.message).toContain('LoadCredential=pmi-lab:');
  });

  it('reports a credential missing from the directory', () => {
    const err = thrown(() => loadSecret(cluster({ tokenSecretCredential: 'pmi-lab' }), { credentialsDir: dir }));
    expect(err.message).toContain(`${join(dir, 'pmi-lab')}: no such file`);
  });

  it('refuses a credential name that is a path', () => {
    const err = thrown(() => loadSecret(cluster({ tokenSecretCredential: '../etc/shadow' }), { credentialsDir: dir }));
    expect(err.message).toContain('plain credential name');
  });
});

describe('loadSecret inline', () => {
  it('returns the inline secret and warns without the secret in the warning', () => {
    const warnings: unknown[][] = [];
    const log = { warn: (...args: unknown[]) => warnings.push(args) } as never;
    expect(loadSecret(cluster({ tokenSecret: SECRET }), { log })).toBe(SECRET);
    expect(warnings).toHaveLength(1);
    expect(JSON.stringify(warnings)).toContain('tokenSecretFile');
    expect(JSON.stringify(warnings)).not.toContain(SECRET);
  });
});

describe('insecureModeReason', () => {
  it.each([
    [0o100600, undefined],
    [0o100400, undefined],
    [0o100700, undefined],
    [0o100644, 'readable by group/others (mode 0644)'],
    [0o100602, 'writable by group/others (mode 0602)'],
  ])('%o → %s', (mode, reason) => expect(insecureModeReason(mode)).toBe(reason));
});

// Review finding: the token, database and alert-target secrets were read by three copies with three
// message formats (the target's said "ENOENT"). One reader now: `<owner>: <problem> <source>`.
describe('one secret reader, one message format naming the source', () => {
  type Reader = (loc: { file?: string; credential?: string }, credentialsDir?: string) => unknown;
  const readers: Array<[string, string, string, Reader]> = [
    ['cluster "lab"', 'token secret', 'tokenSecretCredential', (l, d) => loadSecret(cluster(l.file ? { tokenSecretFile: l.file } : { tokenSecretCredential: l.credential }), { ...(d && { credentialsDir: d }) })],
    ['PBS server "pbs1"', 'token secret', 'tokenSecretCredential', (l, d) => loadSecret({ name: 'pbs1', tokenSecretFile: l.file, tokenSecretCredential: l.credential }, { ...(d && { credentialsDir: d }), owner: 'PBS server "pbs1"' })],
    ['database', 'password', 'passwordCredential', (l, d) => loadDatabasePassword({ passwordFile: l.file, passwordCredential: l.credential }, d)],
    ['alerts target "ops"', 'secret', 'secretCredential', (l, d) => loadTargetSecret({ name: 'ops', type: 'webhook', url: 'https://hooks.example/x', timeoutMs: 1000, ...(l.file ? { secretFile: l.file } : { secretCredential: l.credential! }) }, { ...(d && { credentialsDir: d }) })],
  ];

  it.each(readers)('%s', (owner, what, credKey, read) => {
    const f = join(dir, 'secret');
    expect(thrown(() => read({ file: f })).message).toBe(`${owner}: cannot read ${what} file ${f}: no such file`);
    writeFileSync(f, `${SECRET}\n`);
    chmodSync(f, 0o640);
    const insecure = thrown(() => read({ file: f }));
    expect([insecure.code, insecure.message]).toEqual(['SECRET_INSECURE', `${owner}: ${what} file ${f} is readable by group/others (mode 0640); run chmod 600 ${f}`]);
    chmodSync(f, 0o600);
    expect(read({ file: f })).toBe(SECRET);
    writeFileSync(f, '\n');
    expect(thrown(() => read({ file: f })).message).toBe(`${owner}: ${what} file ${f} is empty`);
    expect(thrown(() => read({ credential: 'pmi-x' })).message).toMatch(new RegExp(`^${owner.replace(/"/g, '"')}: ${credKey} "pmi-x" needs \\$CREDENTIALS_DIRECTORY`));
    expect(thrown(() => read({ credential: '..' }, dir)).message).toBe(`${owner}: ${credKey} ".." must be a plain credential name (no "/")`);
    const c = join(dir, 'pmi-x');
    expect(thrown(() => read({ credential: 'pmi-x' }, dir)).message).toBe(`${owner}: cannot read systemd credential "pmi-x" ${c}: no such file`);
    writeFileSync(c, `${SECRET}\r\n`);
    expect(read({ credential: 'pmi-x' }, dir)).toBe(SECRET);
  });
});
