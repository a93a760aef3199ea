// `npm run config-schema`: writes systemd/config.schema.json from the zod config schema.
// `--check`: exits 1 when the shipped file differs from what the schema generates (CI, tests).
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { CONFIG_SCHEMA_FILE, CONFIG_SCHEMA_PATH, configJsonSchemaText } from '../agent/config/config-json-schema.ts';

const { values } = parseArgs({ options: { check: { type: 'boolean', default: false } } });
const text = configJsonSchemaText();
let shipped = '';
try {
  shipped = readFileSync(CONFIG_SCHEMA_FILE, 'utf8');
} catch {
  // missing: stale
}
if (values.check) {
  process.stdout.write(shipped === text ? `${CONFIG_SCHEMA_PATH} is current\n` : `${CONFIG_SCHEMA_PATH} is out of date: run npm run config-schema\n`);
  process.exitCode = shipped === text ? 0 : 1;
} else {
  if (shipped !== text) writeFileSync(CONFIG_SCHEMA_FILE, text);
  process.stdout.write(`${CONFIG_SCHEMA_PATH} ${shipped === text ? 'unchanged' : 'written'}\n`);
}
