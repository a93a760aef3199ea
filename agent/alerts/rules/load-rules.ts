// Reads the rule files: the shipped pack first, then the user's directory, where a file with the
// same name replaces the shipped rule. Returns every problem at once, each named by file and line.
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { parseRuleFile, type RuleDef, type RuleProblem } from './rule-file.ts';

/** The default pack, shipped in the repo. */
export const SHIPPED_RULES_DIR = resolve(import.meta.dirname, '..', 'pack');

export interface RuleSet {
  /** Enabled rules, by name order. */
  rules: RuleDef[];
  /** Rules switched off (header `disabled: true` or the config's `rules.disabled`). */
  disabled: RuleDef[];
  /** Shipped rules replaced by a user file: name → the user's file. */
  overridden: Map<string, string>;
  problems: RuleProblem[];
}

export interface LoadRulesOptions {
  shippedDir?: string;
  userDir?: string;
  /** Names from the config's `rules.disabled`. */
  disabledNames?: readonly string[];
  /** Where `disabledNames` came from, for problems (the config file). */
  configFile?: string;
}

function readDir(dir: string, problems: RuleProblem[]): Map<string, { file: string; text: string }> {
  const out = new Map<string, { file: string; text: string }>();
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith('.sql')).sort();
  } catch (err) {
    problems.push({ file: dir, line: 0, message: `cannot read the rules directory: ${(err as NodeJS.ErrnoException).code ?? String(err)}` });
    return out;
  }
  for (const n of names) {
    const file = join(dir, n);
    try {
      out.set(basename(n, '.sql'), { file, text: readFileSync(file, 'utf8') });
    } catch (err) {
      problems.push({ file, line: 0, message: `cannot read: ${(err as NodeJS.ErrnoException).code ?? String(err)}` });
    }
  }
  return out;
}

/** Loads and parses every rule file (no database needed; see check-rules.ts for the SQL checks). */
export function loadRules(opts: LoadRulesOptions = {}): RuleSet {
  const problems: RuleProblem[] = [];
  const files = readDir(opts.shippedDir ?? SHIPPED_RULES_DIR, problems);
  const overridden = new Map<string, string>();
  if (opts.userDir) {
    for (const [name, f] of readDir(opts.userDir, problems)) {
      if (files.has(name)) overridden.set(name, f.file);
      files.set(name, f);
    }
  }
  const rules: RuleDef[] = [];
  const disabled: RuleDef[] = [];
  const off = new Set(opts.disabledNames ?? []);
  for (const name of off) {
    if (!files.has(name)) problems.push({ file: opts.configFile ?? 'config', line: 0, message: `rules.disabled names "${name}", but there is no rule of that name` });
  }
  for (const [name, f] of [...files].sort(([a], [b]) => a.localeCompare(b))) {
    const parsed = parseRuleFile(f.file, name, f.text);
    if (!parsed.ok) {
      problems.push(...parsed.problems);
      continue;
    }
    (parsed.rule.disabled || off.has(name) ? disabled : rules).push(parsed.rule);
  }
  return { rules, disabled, overridden, problems };
}
