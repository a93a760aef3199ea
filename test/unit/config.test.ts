import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { jsonErrorPlace, loadConfig, parseConfig } from '../../agent/config/load-config.ts';
import { PmiError } from '../../agent/errors.ts';

const FP = Array.from({ length: 32 }, (_, i) => (i * 7 % 256).toString(16).padStart(2, '0').toUpperCase()).join(':');

function valid(): Record<string, unknown> {
  return {
    clusters: [
      { name: 'lab', endpoints: ['https://127.0.0.1:8006'], tokenId: 'pmi@pve!agent', tokenSecretFile: 'secret.txt', tls: { fingerprint: FP } },
    ],
    paths: { database: 'var/pmi.sqlite', site: 'out', inbox: 'var/inbox' },
  };
}

function problemsOf(raw: unknown): Array<{ path: string; message: string }> {
  try {
    parseConfig(raw, 'test.json', '/etc/pmi-agent');
  } catch (err) {
    expect(err).toBeInstanceOf(PmiError);
    expect((err as PmiError).code).toBe('CONFIG_INVALID');
    return (err as PmiError).details.problems as Array<{ path: string; message: string }>;
  }
  throw new Error('expected the config to be refused');
}

// Configs are edited as plain JSON here, also into invalid shapes.
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- see above
type Json = any;

const set = (path: string[], value: unknown) => {
  const c: Json = valid();
  let o = c;
  for (const k of path.slice(0, -1)) o = o[k];
  o[path.at(-1)!] = value;
  return c;
};

describe('config', () => {
  it('accepts a minimal config, applies defaults, resolves relative paths and freezes it', () => {
    const c = parseConfig(valid(), 'test.json', '/etc/pmi-agent');
    expect(c.pollIntervalSeconds).toBe(60);
    expect(c.retention).toMatchObject({ rawHours: 48, fiveMinuteDays: 30, hourlyDays: 400 });
    expect(c.actions.policy).toEqual([]);
    expect(c.paths.database).toBe('/etc/pmi-agent/var/pmi.sqlite');
    expect(c.clusters[0]!.tokenSecretFile).toBe('/etc/pmi-agent/secret.txt');
    expect(c.clusters[0]!.tls.fingerprint).toBe(FP);
    expect(Object.isFrozen(c.clusters[0]!.tls)).toBe(true);
  });

  it('normalises a lower-case fingerprint', () => {
    const c = parseConfig(set(['clusters', '0', 'tls'], { fingerprint: FP.toLowerCase() }), 't', '/');
    expect(c.clusters[0]!.tls.fingerprint).toBe(FP);
  });

  it.each([
    ['missing clusters', set(['clusters'], undefined), 'clusters'],
    ['empty clusters', set(['clusters'], []), 'clusters'],
    ['missing paths', set(['paths'], undefined), 'paths'],
    ['missing site path', set(['paths'], { database: 'a', inbox: 'b' }), 'paths.site'],
    ['bad cluster name', set(['clusters', '0', 'name'], 'Lab One'), 'clusters[0].name'],
    ['no endpoints', set(['clusters', '0', 'endpoints'], []), 'clusters[0].endpoints'],
    ['http endpoint', set(['clusters', '0', 'endpoints'], ['http://127.0.0.1:8006']), 'clusters[0].endpoints[0]'],
    ['not a URL', set(['clusters', '0', 'endpoints'], ['pve1:8006']), 'clusters[0].endpoints[0]'],
    ['bad token id', set(['clusters', '0', 'tokenId'], 'root@pam'), 'clusters[0].tokenId'],
    ['bad fingerprint', set(['clusters', '0', 'tls'], { fingerprint: 'AB:CD' }), 'clusters[0].tls.fingerprint'],
    ['no TLS verification', set(['clusters', '0', 'tls'], {}), 'clusters[0].tls'],
    ['unknown TLS key', set(['clusters', '0', 'tls'], { fingerprint: FP, verify: false }), 'clusters[0].tls'],
    ['two secrets', set(['clusters', '0', 'tokenSecret'], 'abc'), 'clusters[0]'],
    ['interval not cron-expressible', set(['pollIntervalSeconds'], 45), 'pollIntervalSeconds'],
    ['interval too short', set(['pollIntervalSeconds'], 1), 'pollIntervalSeconds'],
    ['interval a string', set(['pollIntervalSeconds'], '60'), 'pollIntervalSeconds'],
    ['unknown top-level key', set(['pollInterval'], 60), '(top level)'],
    ['unknown action in policy', set(['actions'], { policy: [{ actions: ['destroy'] }] }), 'actions.policy[0].actions[0]'],
    ['negative retention', set(['retention'], { rawHours: -1 }), 'retention.rawHours'],
  ])('reports %s with its path', (_name, raw, path) => {
    const problems = problemsOf(raw);
    expect(problems.map((p) => p.path)).toContain(path);
    for (const p of problems) expect(p.message.length).toBeGreaterThan(3);
  });

  it('reports duplicate cluster names at the second one', () => {
    const c: Json = valid();
    c.clusters.push({ ...c.clusters[0] });
    expect(problemsOf(c).map((p) => p.path)).toContain('clusters[1].name');
  });

  it('reports every problem at once, not just the first', () => {
    const c: Json = valid();
    c.clusters[0].tokenId = 'nope';
    c.clusters[0].endpoints = ['ftp://x'];
    c.pollIntervalSeconds = 7;
    const paths = problemsOf(c).map((p) => p.path);
    expect(paths).toEqual(expect.arrayContaining(['clusters[0].tokenId', 'clusters[0].endpoints[0]', 'pollIntervalSeconds']));
  });

  it('names the file and every problem in the error message', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pmi-config-'));
    const file = join(dir, 'config.json');
    const c: Json = valid();
    c.clusters[0].tokenId = 'nope';
    writeFileSync(file, JSON.stringify(c));
    expect(() => loadConfig(file)).toThrow(/config\.json: 1 problem:\n {2}- clusters\[0\]\.tokenId: expected USER@REALM!TOKENID/);
  });

  it('refuses a file that is not JSON, naming the file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pmi-config-'));
    const file = join(dir, 'config.json');
    writeFileSync(file, '{ "clusters": [ }');
    expect(() => loadConfig(file)).toThrow(new RegExp(`${file}: not valid JSON at line 1, column 17`));
  });

  it('names line and column of a JSON error without quoting the file (it may hold a secret)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pmi-config-'));
    const file = join(dir, 'config.json');
    writeFileSync(file, '{\n  "clusters": [],\n  "tokenSecret": \'5f1c2b7e-secret\'\n}');
    let message = '';
    try { loadConfig(file); } catch (err) { message = (err as Error).message; }
    expect(message).toBe(`${file}: not valid JSON at line 3, column 18 (syntax error)`);
    expect(message).not.toContain('5f1c');
  });

  it.each([
    ['{"a": 1,}', ' at line 1, column 9'],
    ['{"a": [1, 2', ' at line 1, column 12'],
    ['{"a": tru}', ' at line 1, column 7'],
    ['{"a": 1} x', ' at line 1, column 10'],
    ['{"a": "x\\"y", "b": [true, null, -1.5e3]}', ''],
  ])('locates the JSON error in %s', (text, place) => {
    expect(jsonErrorPlace(text)).toBe(place);
  });

  it('refuses a missing file, naming it', () => {
    expect(() => loadConfig('/nonexistent/pmi.json')).toThrow(/cannot read config file \/nonexistent\/pmi\.json: ENOENT/);
  });
});
