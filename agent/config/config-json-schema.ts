// The config's JSON Schema, generated from the zod schema (z.toJSONSchema), for editors: the
// shipped systemd/config.schema.json, referenced by "$schema" from config.example.json (and the
// installed /etc/pmi-agent/config.json). It describes the file as written (`io: 'input'`: keys
// with defaults are optional). Refinements JSON Schema cannot run carry their equivalent as
// .meta() in config.schema.ts; the only rule left out is "cluster names are unique".
// Regenerate: npm run config-schema (test/unit/config-json-schema.test.ts fails when it is stale).
import { join } from 'node:path';
import { z } from 'zod';
import { Config } from './config.schema.ts';

/** Where the shipped schema lives, relative to the application (or checkout) root. */
export const CONFIG_SCHEMA_PATH = 'systemd/config.schema.json';
/** Its absolute path in this checkout / installed application. */
export const CONFIG_SCHEMA_FILE = join(import.meta.dirname, '../..', CONFIG_SCHEMA_PATH);

/** The JSON Schema of the config file. Pure. */
export function configJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(Config, { target: 'draft-2020-12', io: 'input', unrepresentable: 'throw' });
  return {
    $schema: schema.$schema,
    title: 'pmi-agent configuration (/etc/pmi-agent/config.json)',
    ...schema,
  };
}

/** The file's text: stable key order from the zod schema, two-space indent, final newline. */
export function configJsonSchemaText(): string {
  return `${JSON.stringify(configJsonSchema(), null, 2)}\n`;
}
