// A rule file, parsed: the pure part of loading rules (text in, definition or errors out).
//
// The format is a plain .sql file whose leading comment lines are the header:
//
//   -- Node offline: Proxmox lists the node but cannot reach it.      (free text: the description)
//   -- severity: critical
//   -- for: 2m
//   -- labels: cluster, node
//   -- summary: Node {{node}} of {{cluster}} is offline
//   select cluster, node from v_node_latest where status = 'offline'
//
// Why not YAML with the query embedded: the file stays valid SQL, so `sqlite3 -readonly db < rule.sql`
// runs it as it is, editors highlight it, nothing needs quoting or indenting, and an SQL error's line
// number is the file's line number.
import { parseDuration } from './parse-duration.ts';

export const SEVERITIES = ['critical', 'warning', 'info'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** Parameters a rule may use; bound at every evaluation (a backtest binds the replayed time). */
export const RULE_PARAMETERS = ['now', 'interval'] as const;

export interface RuleDef {
  name: string;
  file: string;
  /** From the header; when absent the query returns a `severity` column. */
  severity?: Severity;
  forSeconds: number;
  keepFiringForSeconds: number;
  /** Columns that identify an instance. */
  labels: string[];
  /** `{{column}}` placeholders are filled from the row. */
  summary: string;
  runbook?: string;
  /** While an instance of this rule is firing it mutes other rules' instances carrying the same label values. */
  mutes: boolean;
  disabled: boolean;
  description: string;
  sql: string;
  /** 1-based line of the file where the query starts. */
  sqlLine: number;
}

export interface RuleProblem {
  file: string;
  line: number;
  message: string;
}

export type ParsedRule = { ok: true; rule: RuleDef } | { ok: false; problems: RuleProblem[] };

const KEYS = ['severity', 'for', 'keep-firing-for', 'labels', 'summary', 'runbook', 'mutes', 'disabled'] as const;
const NAME_RE = /^[a-z0-9][a-z0-9_-]{0,62}$/;

/** The `{{name}}` placeholders of a summary template. */
export function templateFields(template: string): string[] {
  return [...template.matchAll(/\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g)].map((m) => m[1]!);
}

/** Parses one rule file; `name` is the file name without `.sql`. Every problem is reported with its line. */
export function parseRuleFile(file: string, name: string, text: string): ParsedRule {
  const problems: RuleProblem[] = [];
  const bad = (line: number, message: string) => problems.push({ file, line, message });
  if (!NAME_RE.test(name)) bad(1, `the file name "${name}.sql" must be lower-case letters, digits, "-" and "_" (it is the rule's name)`);

  const lines = text.split(/\r?\n/);
  const header = new Map<string, { value: string; line: number }>();
  const description: string[] = [];
  let i = 0;
  for (; i < lines.length; i++) {
    const l = lines[i]!.trim();
    if (l === '') continue;
    if (!l.startsWith('--')) break;
    const body = l.slice(2).trim();
    // A lower-case word followed by a colon is a header key (an unknown one is an error, typos with
    // "_" or digits too); a capitalised known key is an error; anything else is description text.
    const kv = /^([A-Za-z][A-Za-z0-9_-]*):\s*(.*)$/.exec(body);
    if (kv && /^[A-Z]/.test(kv[1]!)) {
      const lower = kv[1]!.toLowerCase();
      if ((KEYS as readonly string[]).includes(lower)) bad(i + 1, `header keys are lower-case: "${kv[1]}" is "${lower}"`);
      else description.push(body);
      continue;
    }
    if (kv) {
      const k = kv[1] === 'keepFiringFor' || kv[1] === 'keepfiringfor' ? 'keep-firing-for' : kv[1]!;
      if (!(KEYS as readonly string[]).includes(k)) {
        bad(i + 1, `unknown header key "${kv[1]}" (known: severity, for, keep-firing-for, labels, summary, runbook, mutes, disabled; a description line starts with a capital letter)`);
        continue;
      }
      if (header.has(k)) bad(i + 1, `"${k}" is given twice (first on line ${header.get(k)!.line})`);
      header.set(k, { value: kv[2]!.trim(), line: i + 1 });
    } else {
      description.push(body);
    }
  }
  const sqlLine = i + 1;
  const sql = lines.slice(i).join('\n').trim().replace(/;\s*$/, '');
  if (sql === '') bad(sqlLine > lines.length ? lines.length || 1 : sqlLine, 'no query after the header');

  const get = (k: string) => header.get(k);
  const sev = get('severity');
  let severity: Severity | undefined;
  if (sev) {
    if ((SEVERITIES as readonly string[]).includes(sev.value)) severity = sev.value as Severity;
    else bad(sev.line, `severity "${sev.value}" is not one of ${SEVERITIES.join(', ')} (or leave it out and return a severity column)`);
  }
  const duration = (k: string): number => {
    const h = get(k);
    if (!h) return 0;
    const s = parseDuration(h.value);
    if (s === undefined) bad(h.line, `${k} "${h.value}" is not a duration like 90s, 5m, 2h, 7d or 0`);
    return s ?? 0;
  };
  const forSeconds = duration('for');
  const keepFiringForSeconds = duration('keep-firing-for');
  const labelsH = get('labels');
  const labels = labelsH ? labelsH.value.split(',').map((s) => s.trim()).filter(Boolean) : [];
  if (!labelsH) bad(1, 'no "-- labels:" line: name the columns that identify an instance (e.g. cluster, node)');
  else if (labels.length === 0) bad(labelsH.line, 'labels is empty');
  for (const l of labels) if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(l)) bad(labelsH!.line, `label "${l}" is not a column name`);
  if (labels.includes('alertname') || labels.includes('severity')) bad(labelsH!.line, '"alertname" and "severity" are added by the engine; they cannot be instance labels');
  const summaryH = get('summary');
  if (!summaryH || summaryH.value === '') bad(summaryH?.line ?? 1, 'no "-- summary:" line (a sentence; {{column}} is replaced by the row\'s value)');
  const runbook = get('runbook');
  if (runbook && !/^https?:\/\/\S+$/.test(runbook.value)) bad(runbook.line, `runbook "${runbook.value}" is not an http(s) URL`);
  const flag = (k: string): boolean => {
    const h = get(k);
    if (!h) return false;
    if (h.value === 'true' || h.value === 'yes') return true;
    if (h.value === 'false' || h.value === 'no') return false;
    bad(h.line, `${k} must be true or false, not "${h.value}"`);
    return false;
  };
  const mutes = flag('mutes');
  const disabled = flag('disabled');
  if (problems.length > 0) return { ok: false, problems };
  return {
    ok: true,
    rule: {
      name, file, ...(severity && { severity }), forSeconds, keepFiringForSeconds, labels,
      summary: summaryH!.value, ...(runbook && { runbook: runbook.value }), mutes, disabled,
      description: description.join(' ').trim(), sql, sqlLine,
    },
  };
}
