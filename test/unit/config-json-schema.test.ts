// systemd/config.schema.json: generated from the zod schema, shipped, named by "$schema" in the
// example config. It must be current (other changes to config.schema.ts regenerate it), accept the
// example, and reject what the loader rejects — a sample of test/unit/config.test.ts's cases, each
// checked against both, so a refinement without its JSON Schema twin shows up here.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { CONFIG_SCHEMA_FILE, configJsonSchema, configJsonSchemaText } from '../../agent/config/config-json-schema.ts';
import { parseConfig } from '../../agent/config/load-config.ts';

const REPO = join(import.meta.dirname, '../..');
const FP = Array.from({ length: 32 }, (_, i) => ((i * 7) % 256).toString(16).padStart(2, '0').toUpperCase()).join(':');
// `format` is an annotation here (the https pattern and the loader check URLs); the rules written
// as .meta() name keys in `required` without repeating their types, which strict mode would flag
const validate = new Ajv2020({ allErrors: true, strict: true, strictRequired: false, strictTypes: false, validateFormats: false }).compile(configJsonSchema());
const schemaAccepts = (c: unknown) => validate(c);
const loaderAccepts = (c: unknown) => {
  try {
    parseConfig(c, 'test.json', '/etc/pmi-agent');
    return true;
  } catch {
    return false;
  }
};

// Configs are edited as plain JSON here, also into invalid shapes.
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- see above
type Json = any;
const valid = (): Json => ({
  clusters: [{ name: 'lab', endpoints: ['https://127.0.0.1:8006'], tokenId: 'pmi@pve!agent', tokenSecretFile: 'secret.txt', tls: { fingerprint: FP } }],
  paths: { database: 'var/pmi.sqlite', site: 'out', inbox: 'var/inbox' },
});
const set = (path: string[], value: unknown): Json => {
  const c = valid();
  let o = c;
  for (const k of path.slice(0, -1)) o = o[k];
  o[path.at(-1)!] = value;
  return c;
};

describe('systemd/config.schema.json', () => {
  it('is what the zod schema generates (else: npm run config-schema)', () => {
    expect(readFileSync(CONFIG_SCHEMA_FILE, 'utf8'), 'systemd/config.schema.json is out of date: run npm run config-schema').toBe(configJsonSchemaText());
  });

  it('is named by the example config, which it and the loader accept', () => {
    const example = JSON.parse(readFileSync(join(REPO, 'systemd/config.example.json'), 'utf8')) as Json;
    expect(example.$schema).toBe('./config.schema.json');
    expect(schemaAccepts(example), JSON.stringify(validate.errors)).toBe(true);
    expect(loaderAccepts(example)).toBe(true);
  });

  it.each([
    ['a minimal config', valid()],
    ['a lower-case fingerprint with blanks', set(['clusters', '0', 'tls'], { fingerprint: ` ${FP.toLowerCase()} ` })],
    ['a CA file', set(['clusters', '0', 'tls'], { caFile: 'ca.pem' })],
    ['knowingly insecure', set(['clusters', '0', 'tls'], { insecure: true })],
    ['a 15 s interval', set(['pollIntervalSeconds'], 15)],
    ['a 5 min interval', set(['pollIntervalSeconds'], 300)],
    ['a log size in upper case', set(['log'], { file: { path: 'x.log', size: '10M' } })],
  ])('accepts %s, like the loader', (_name, c) => {
    expect(loaderAccepts(c)).toBe(true);
    expect(schemaAccepts(c), JSON.stringify(validate.errors)).toBe(true);
  });

  it.each([
    ['missing clusters', set(['clusters'], undefined)],
    ['empty clusters', set(['clusters'], [])],
    ['missing site path', set(['paths'], { database: 'a', inbox: 'b' })],
    ['bad cluster name', set(['clusters', '0', 'name'], 'Lab One')],
    ['http endpoint', set(['clusters', '0', 'endpoints'], ['http://127.0.0.1:8006'])],
    ['not a URL', set(['clusters', '0', 'endpoints'], ['pve1:8006'])],
    ['bad token id', set(['clusters', '0', 'tokenId'], 'root@pam')],
    ['bad fingerprint', set(['clusters', '0', 'tls'], { fingerprint: 'AB:CD' })],
    ['no TLS verification', set(['clusters', '0', 'tls'], {})],
    ['insecure: false only', set(['clusters', '0', 'tls'], { insecure: false })],
    ['unknown TLS key', set(['clusters', '0', 'tls'], { fingerprint: FP, verify: false })],
    ['two secrets', set(['clusters', '0', 'tokenSecret'], 'abc')],
    ['no secret', set(['clusters', '0', 'tokenSecretFile'], undefined)],
    ['interval not cron-expressible', set(['pollIntervalSeconds'], 45)],
    ['interval too short', set(['pollIntervalSeconds'], 1)],
    ['interval a string', set(['pollIntervalSeconds'], '60')],
    ['unknown top-level key', set(['pollInterval'], 60)],
    ['unknown action in policy', set(['actions'], { policy: [{ actions: ['destroy'] }] })],
    ['negative retention', set(['retention'], { rawHours: -1 })],
    ['a bad log size', set(['log'], { file: { path: 'x.log', size: '10 MB' } })],
  ])('rejects %s, like the loader', (_name, c) => {
    expect(loaderAccepts(c)).toBe(false);
    expect(schemaAccepts(c)).toBe(false);
  });
});
