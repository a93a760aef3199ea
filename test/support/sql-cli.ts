// Runs a documented query file through the real sqlite3 CLI, read-only, as users run it.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

export function runSqlFile(database: string, file: string): Array<Record<string, unknown>> {
  const out = execFileSync('/usr/bin/sqlite3', ['-readonly', '-bail', '-json', database], { input: readFileSync(file), encoding: 'utf8' });
  return out.trim() ? (JSON.parse(out) as Array<Record<string, unknown>>) : [];
}
