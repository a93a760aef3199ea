// Issue 17 item 1: the `database` section — validated with errors naming the key, the password
// from a file (owner-only) or a systemd credential, check-config connecting and reporting, and
// `pmi-agent health` reading the PostgreSQL store.
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../agent/config/load-config.ts';
import { loadDatabasePassword } from '../../agent/config/load-database-password.ts';
import { checkDatabase } from '../../agent/check-config/check-database.ts';
import { runHealthCheck } from '../../agent/liveness/run-health-check.ts';
import type { PmiError } from '../../agent/errors.ts';
import { openPgStore } from '../../agent/store/open-store.ts';
import { createTestDatabase } from '../support/store-backends.ts';

const FP = Array.from({ length: 32 }, (_, i) => (i * 7 % 256).toString(16).padStart(2, '0').toUpperCase()).join(':');
const base = (database?: unknown) => ({
  clusters: [{ name: 'lab', endpoints: ['https://127.0.0.1:8006'], tokenId: 'pmi@pve!agent', tokenSecret: 'x', tls: { fingerprint: FP } }],
  paths: { database: 'var/pmi.sqlite', site: 'out', inbox: 'var/inbox' },
  ...(database !== undefined && { database }),
});
function problems(raw: unknown): string[] {
  try {
    parseConfig(raw, 'c.json', '/etc/pmi-agent');
  } catch (err) {
    return ((err as PmiError).details.problems as Array<{ path: string; message: string }>).map((p) => `${p.path}: ${p.message}`);
  }
  return [];
}

let dir: string;
let target: Awaited<ReturnType<typeof createTestDatabase>>;
let urlNoPassword: string;
let password: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pmi-pgcfg-'));
  target = await createTestDatabase();
  const u = new URL(target.url);
  password = decodeURIComponent(u.password);
  u.password = '';
  urlNoPassword = u.toString();
});
afterAll(async () => {
  await target?.drop();
  rmSync(dir, { recursive: true, force: true });
});

describe('the database section', () => {
  it('is optional (SQLite), takes a postgres:// URL and resolves the password file against the config folder', () => {
    expect(parseConfig(base(), 'c.json', '/etc/pmi-agent').database).toBeUndefined();
    const c = parseConfig(base({ url: 'postgres://pmi@db:5432/pmi', passwordFile: 'db.pw' }), 'c.json', '/etc/pmi-agent');
    expect(c.database).toMatchObject({ url: 'postgres://pmi@db:5432/pmi', passwordFile: '/etc/pmi-agent/db.pw', poolSize: 4 });
  });

  it('names the key of each mistake', () => {
    expect(problems(base({ url: 'mysql://x' }))).toEqual([expect.stringMatching(/^database\.url: expected a PostgreSQL URL/)]);
    expect(problems(base({ url: 'postgres://x@h/db', passwordFile: 'a', passwordCredential: 'b' }))).toEqual([expect.stringMatching(/^database: give at most one of "passwordFile" or "passwordCredential"/)]);
    expect(problems(base({ url: 'postgres://x@h/db', pasword: 'x' }))).toEqual([expect.stringMatching(/^database/)]);
  });

  it('reads the password from an owner-only file or a systemd credential, never a group-readable file', () => {
    const f = join(dir, 'pw');
    writeFileSync(f, 'secret\n', { mode: 0o600 });
    expect(loadDatabasePassword({ passwordFile: f })).toBe('secret');
    chmodSync(f, 0o640);
    expect(() => loadDatabasePassword({ passwordFile: f })).toThrow(/is readable by group\/others .*chmod 600/);
    writeFileSync(join(dir, 'dbpw'), 'from-cred');
    expect(loadDatabasePassword({ passwordCredential: 'dbpw' }, dir)).toBe('from-cred');
    expect(() => loadDatabasePassword({ passwordCredential: 'dbpw' })).toThrow(/needs \$CREDENTIALS_DIRECTORY/);
  });

  it('check-config connects with the password file and reports the server and the schema; a wrong password is an error', async () => {
    const f = join(dir, 'good.pw');
    writeFileSync(f, password, { mode: 0o600 });
    const ok = await checkDatabase({ database: { url: urlNoPassword, passwordFile: f, poolSize: 4 } });
    expect(ok.map((x) => x.level)).toEqual(['ok', 'ok']);
    expect(ok[0]!.message).toMatch(/^database: PostgreSQL \d+ at postgres:\/\/pmi@127\.0\.0\.1:\d+\/pmi_t_\S+ answers$/);
    expect(ok[1]!.message).toMatch(/schema up to date|migrations still to apply/);
    const bad = join(dir, 'bad.pw');
    writeFileSync(bad, 'wrong', { mode: 0o600 });
    const no = await checkDatabase({ database: { url: urlNoPassword, passwordFile: bad, poolSize: 4 } });
    expect(no).toEqual([{ level: 'error', message: expect.stringMatching(/^database: cannot connect to .*password authentication failed/) }]);
    expect(no[0]!.message).not.toContain(password);
  });

  it('the store keeps its pooled connections open between cycles (no reconnect and re-prepare each interval), without keeping the process alive', async () => {
    const store = await openPgStore({ url: target.url }, { migrate: false });
    try {
      const o = (store.pool as unknown as { options: { idleTimeoutMillis: number; allowExitOnIdle: boolean } }).options;
      expect(o.idleTimeoutMillis).toBe(0);
      expect(o.allowExitOnIdle).toBe(true);
    } finally {
      await store.close();
    }
  });

  it('pmi-agent health reads the last good poll from PostgreSQL', async () => {
    const store = await openPgStore({ url: target.url });
    const now = Math.floor(Date.now() / 1000);
    await store.db.insertInto('clusters').values({ name: 'lab', first_seen: now, last_ok_at: now - 30 }).execute();
    await store.close();
    const f = join(dir, 'health.pw');
    writeFileSync(f, password, { mode: 0o600 });
    const cfg = join(dir, 'config.json');
    writeFileSync(cfg, JSON.stringify(base({ url: urlNoPassword, passwordFile: f })));
    const out = { o: '', e: '' };
    const code = await runHealthCheck(cfg, { stdout: (t) => (out.o += t), stderr: (t) => (out.e += t) }, now * 1000);
    expect(code, out.e).toBe(0);
  });
});
