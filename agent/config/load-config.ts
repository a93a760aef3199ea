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
  // PBS servers (#15): their secret and CA files like the clusters'
  for (const p of c.pbs) {
    if (p.tokenSecretFile) p.tokenSecretFile = abs(p.tokenSecretFile);
    if (p.tls.caFile) p.tls.caFile = abs(p.tls.caFile);
  }
  if (c.log.file) c.log.file.path = abs(c.log.file.path);
  if (c.log.auditFile) c.log.auditFile.path = abs(c.log.auditFile.path);
  c.metrics.file = abs(c.metrics.file);
  if (c.database?.passwordFile) c.database.passwordFile = abs(c.database.passwordFile); // PostgreSQL store (#17)
  // alerts (#16): the rules directory and the targets' secret and CA files
  if (c.rules.directory) c.rules.directory = abs(c.rules.directory);
  for (const t of c.alerts.targets) {
    if (t.secretFile) t.secretFile = abs(t.secretFile);
    if (t.caFile) t.caFile = abs(t.caFile);
  }
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
    // V8's message quotes the text around the error, which may be an inline token secret:
    // report only where it is.
    throw new PmiError('CONFIG_INVALID', `${file}: not valid JSON${jsonErrorPlace(text)} (${err instanceof SyntaxError ? 'syntax error' : 'unreadable'})`);
  }
  return parseConfig(raw, file, dirname(resolve(file)));
}

/**
 * Where a JSON text first goes wrong, as " at line L, column C" ("" if it parses). Node 20's
 * JSON.parse names no position, only an excerpt of the text, which may be an inline secret;
 * this small scanner finds the place without quoting anything.
 */
export function jsonErrorPlace(text: string): string {
  let i = 0;
  const ws = () => { while (i < text.length && ' \t\r\n'.includes(text[i]!)) i++; };
  const fail = (): never => { throw i; };
  const lit = (word: string) => { if (text.startsWith(word, i)) i += word.length; else fail(); };
  const str = () => {
    if (text[i] !== '"') fail();
    for (i++; i < text.length; i++) {
      const ch = text[i]!;
      if (ch === '\\') i++;
      else if (ch === '"') { i++; return; }
      else if (ch < ' ') fail();
    }
    fail();
  };
  const num = () => {
    const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i));
    if (!m) fail();
    i += m![0].length;
  };
  const value = (): void => {
    ws();
    const ch = text[i];
    if (ch === '{') {
      i++; ws();
      if (text[i] === '}') { i++; return; }
      for (;;) { ws(); str(); ws(); if (text[i] !== ':') fail(); i++; value(); ws(); if (text[i] === ',') { i++; continue; } if (text[i] === '}') { i++; return; } fail(); }
    } else if (ch === '[') {
      i++; ws();
      if (text[i] === ']') { i++; return; }
      for (;;) { value(); ws(); if (text[i] === ',') { i++; continue; } if (text[i] === ']') { i++; return; } fail(); }
    } else if (ch === '"') str();
    else if (ch === 't') lit('true');
    else if (ch === 'f') lit('false');
    else if (ch === 'n') lit('null');
    else num();
  };
  try {
    value();
    ws();
    if (i < text.length) fail();
    return '';
  } catch (pos) {
    if (typeof pos !== 'number') throw pos;
    const before = text.slice(0, pos);
    return ` at line ${before.split('\n').length}, column ${pos - before.lastIndexOf('\n')}`;
  }
}

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object' && !Object.isFrozen(o)) {
    Object.freeze(o);
    for (const v of Object.values(o)) deepFreeze(v);
  }
  return o;
}
