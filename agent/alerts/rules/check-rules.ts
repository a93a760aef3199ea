// The SQL checks of a rule, against the database's schema: one statement, valid, read-only, only
// the known parameters, and the columns the header promises (labels, severity, summary fields).
import { RULE_PARAMETERS, templateFields, type RuleDef, type RuleProblem } from './rule-file.ts';

/** What preparing a statement tells (agent/store/rule-reader.ts prepares without running). */
export interface PreparedInfo {
  columns: string[];
  readonly: boolean;
  returnsRows: boolean;
}
export type PrepareRule = (sql: string) => PreparedInfo;

/** The file line of `needle`'s first occurrence in the rule's query (the query's first line when absent). */
export function lineOf(rule: Pick<RuleDef, 'sql' | 'sqlLine'>, needle: string | undefined): number {
  if (!needle) return rule.sqlLine;
  let at = rule.sql.indexOf(needle);
  if (at < 0) at = rule.sql.toLowerCase().indexOf(needle.toLowerCase());
  if (at < 0) return rule.sqlLine;
  return rule.sqlLine + (rule.sql.slice(0, at).match(/\n/g)?.length ?? 0);
}

/** The token an SQLite error message points at: `near "x"`, `no such column: x`, `no such table: x`. */
function errorToken(message: string): string | undefined {
  const near = /near "([^"]+)"/.exec(message);
  if (near) return near[1];
  const such = /no such (?:column|table|function): ([^\s]+)/.exec(message);
  if (such) return such[1];
  const ambiguous = /ambiguous column name: ([^\s]+)/.exec(message);
  return ambiguous?.[1];
}

/** Named parameters (`:name`, `@name`, `$name`) outside string literals and comments. */
export function parametersOf(sql: string): { name: string; index: number }[] {
  const blanked = sql
    .replace(/'(?:[^']|'')*'/g, (m) => ' '.repeat(m.length))
    .replace(/"(?:[^"]|"")*"/g, (m) => ' '.repeat(m.length))
    .replace(/--[^\n]*/g, (m) => ' '.repeat(m.length))
    .replace(/\/\*[\s\S]*?\*\//g, (m) => m.replace(/[^\n]/g, ' '));
  return [...blanked.matchAll(/(?<![\w:])[:@$]([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => ({ name: m[1]!, index: m.index }));
}

/** Every SQL problem of one rule ([] when it is fine). */
export function checkRule(rule: RuleDef, prepare: PrepareRule): RuleProblem[] {
  const problems: RuleProblem[] = [];
  const bad = (line: number, message: string) => problems.push({ file: rule.file, line, message });
  for (const p of parametersOf(rule.sql)) {
    if (!(RULE_PARAMETERS as readonly string[]).includes(p.name)) {
      bad(rule.sqlLine + (rule.sql.slice(0, p.index).match(/\n/g)?.length ?? 0), `unknown parameter "${p.name}" (a rule may use ${RULE_PARAMETERS.map((n) => ':' + n).join(', ')})`);
    }
  }
  let info: PreparedInfo;
  try {
    info = prepare(rule.sql);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    bad(lineOf(rule, errorToken(message)), `SQL error: ${message}`);
    return problems;
  }
  if (!info.readonly || !info.returnsRows) {
    bad(rule.sqlLine, 'a rule must be one read-only SELECT (this statement would change data or returns no rows)');
    return problems;
  }
  const cols = new Set(info.columns);
  const missing = (c: string, why: string) => {
    if (!cols.has(c)) bad(rule.sqlLine, `the query returns no column "${c}" (${why}); it returns: ${info.columns.join(', ') || 'nothing'}`);
  };
  for (const l of rule.labels) missing(l, 'named in labels');
  if (!rule.severity) missing('severity', 'no severity in the header');
  for (const f of templateFields(rule.summary)) missing(f, 'used in the summary');
  return problems;
}

/** Checks every rule; returns the rules that passed and all problems. */
export function checkRules(rules: readonly RuleDef[], prepare: PrepareRule): { good: RuleDef[]; problems: RuleProblem[] } {
  const good: RuleDef[] = [];
  const problems: RuleProblem[] = [];
  for (const r of rules) {
    const p = checkRule(r, prepare);
    if (p.length === 0) good.push(r);
    else problems.push(...p);
  }
  return { good, problems };
}

/** `file:line: message`, one per line, as compilers print them. */
export function formatProblems(problems: readonly RuleProblem[]): string {
  return problems.map((p) => `${p.file}:${p.line}: ${p.message}`).join('\n');
}
