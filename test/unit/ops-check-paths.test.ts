import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkPaths } from '../../agent/check-config/check-paths.ts';
import { Config } from '../../agent/config/config.schema.ts';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ops-paths-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function config(paths: { database: string; site: string; inbox: string }, log: object = {}, metrics: object = { file: join(dir, 'metrics') }) {
  return Config.parse({
    clusters: [{ name: 'lab', endpoints: ['https://127.0.0.1:8006'], tokenId: 'pmi@pve!monitor', tokenSecret: 'x', tls: { insecure: true } }],
    paths,
    log,
    metrics,
  });
}

const view = (c: Config) => checkPaths(c).map((f) => `${f.level} ${f.message.replaceAll(dir, '$D')}`);

describe('checkPaths', () => {
  it('is quiet about existing writable folders', () => {
    for (const d of ['site', 'inbox/tmp', 'inbox/new', 'inbox/cur', 'inbox/done', 'inbox/failed', 'inbox/rejected']) mkdirSync(join(dir, d), { recursive: true });
    expect(view(config({ database: join(dir, 'pmi.sqlite'), site: join(dir, 'site'), inbox: join(dir, 'inbox') }))).toEqual(['ok the database, site, inbox and log folders are usable']);
  });

  it('says which folders the agent will create', () => {
    const v = view(config({ database: join(dir, 'pmi.sqlite'), site: join(dir, 'site'), inbox: join(dir, 'inbox') }, { file: { path: join(dir, 'logs', 'agent') } }));
    expect(v[0]).toBe('ok the database, site, inbox and log folders are usable');
    expect(v).toContain('ok paths.site: $D/site does not exist yet; the agent will create it');
    expect(v).toContain('ok paths.inbox: $D/inbox does not exist yet; the agent will create it');
    expect(v.filter((l) => l.includes('inbox/'))).toEqual([]); // covered by the inbox line
    expect(v).toContain('ok log.file (its folder): $D/logs does not exist yet; the agent will create it');
  });

  it('reports a file where a folder belongs and a missing folder under a file', () => {
    writeFileSync(join(dir, 'site'), 'not a dir');
    const v = view(config({ database: join(dir, 'site', 'pmi.sqlite'), site: join(dir, 'site'), inbox: join(dir, 'inbox') }));
    expect(v).toContain('error paths.site: $D/site is not a directory');
    expect(v).toContain('error paths.database (its folder): $D/site is not a directory');
    expect(v.some((l) => l.startsWith('ok the database'))).toBe(false);
  });

  it.runIf(process.getuid?.() !== 0)('reports a folder this user cannot write (non-root only)', () => {
    mkdirSync(join(dir, 'ro'));
    chmodSync(join(dir, 'ro'), 0o555);
    expect(view(config({ database: join(dir, 'ro', 'pmi.sqlite'), site: join(dir, 's'), inbox: join(dir, 'i') }))).toContain('error paths.database (its folder): $D/ro is not writable by this user');
  });

  it('warns when the metrics folder is missing (the agent does not create it), and not when metrics are off', () => {
    mkdirSync(join(dir, 'site'));
    const paths = { database: join(dir, 'pmi.sqlite'), site: join(dir, 'site'), inbox: join(dir, 'inbox') };
    const v = view(config(paths, {}, { file: join(dir, 'run', 'metrics') }));
    expect(v[0]).toBe('ok the database, site, inbox and log folders are usable');
    expect(v).toContain('warn metrics.file (its folder): $D/run does not exist; no metrics for Prometheus until it is fixed (the agent does not create it: `systemd-tmpfiles --create pmi-agent.conf` does, and every boot)');
    expect(view(config(paths, {}, { file: join(dir, 'run', 'metrics'), enabled: false })).some((l) => l.includes('metrics'))).toBe(false);
    mkdirSync(join(dir, 'run'));
    expect(view(config(paths, {}, { file: join(dir, 'run', 'metrics') })).some((l) => l.includes('metrics'))).toBe(false);
  });
});
