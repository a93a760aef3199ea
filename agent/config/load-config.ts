import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import type { z } from 'zod';
import { PmiError } from '../errors.ts';
import { Config } from './config.schema.ts';

/** One problem found in a config file: where (a JSON path like clusters[0].tls) and what. */
export interface ConfigProblem {
  path: string;
  message: string;
}

/** Formats zod issues as "path: message" problems, every one of them. */
export function toProblems(issues: z.core.$ZodIssue[]): ConfigProblem[] {
  return issues.map((i) => ({ path: formatPath(i.path), message: i.message }));
}

function formatPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(top level)';
  return path
    .map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`))
    .join('');
}

/**
 * Validates a parsed config object. Relative paths are taken relative to `baseDir` (the config
 * file's folder). Returns the frozen config with defaults applied, or throws CONFIG_INVALID
 * listing every problem.
 */
export function parseConfig(raw: unknown, source: string, baseDir: string): Readonly<Config> {
  const result = Config.safeParse(raw);
  if (!result.success) {
    const problems = toProblems(result.error.issues);
    throw new PmiError(
      'CONFIG_INVALID',
      `${source}: ${problems.length} problem${problems.length === 1 ? '' : 's'}:\n` +
        problems.map((p) => `  - ${p.path}: ${p.message}`).join('\n'),
      { details: { problems } },
    );
  }
  const c = result.data;
  const abs = (p: string) => (isAbsolute(p) ? p : resolve(baseDir, p));
  c.paths = { database: abs(c.paths.database), site: abs(c.paths.site), inbox: abs(c.paths.inbox) };
  for (const cl of c.clusters) {
    if (cl.tokenSecretFile) cl.tokenSecretFile = abs(cl.tokenSecretFile);
    if (cl.tls.caFile) cl.tls.caFile = abs(cl.tls.caFile);
  }
  if (c.log.file) c.log.file.path = abs(c.log.file.path);
  if (c.log.auditFile) c.log.auditFile.path = abs(c.log.auditFile.path);
  return deepFreeze(c);
}

/** Reads and validates a JSON config file; every problem is reported with its path. */
export function loadConfig(file: string): Readonly<Config> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new PmiError('CONFIG_INVALID', `cannot read config file ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, { cause: err });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new PmiError('CONFIG_INVALID', `${file}: not valid JSON: ${(err as Error).message}`, { cause: err });
  }
  return parseConfig(raw, file, dirname(resolve(file)));
}

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object' && !Object.isFrozen(o)) {
    Object.freeze(o);
    for (const v of Object.values(o)) deepFreeze(v);
  }
  return o;
}
