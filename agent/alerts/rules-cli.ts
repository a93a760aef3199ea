// `pmi-agent rules check` and `pmi-agent rules backtest RULE [--since 30d]`.
import { parseArgs } from 'node:util';
import { loadConfig } from '../config/load-config.ts';
import { openDatabase } from '../store/open-database.ts';
import { openBacktestConnection } from '../store/backtest-views.ts';
import { prepareRuleInfo } from '../store/rule-reader.ts';
import { PmiError } from '../errors.ts';
import { backtestRule, formatBacktest } from './backtest.ts';
import { checkRule, formatProblems } from './rules/check-rules.ts';
import { loadCheckedRules } from './rules/rule-set.ts';
import { parseDuration } from './rules/parse-duration.ts';

export const RULES_USAGE = `Usage: pmi-agent rules check [--config PATH]
       pmi-agent rules backtest RULE [--since 30d] [--config PATH]

  check      load the shipped rules and those in rules.directory and check each one (header,
             SQL syntax, read-only, the columns it must return); every problem as file:line
  backtest   replay one rule (disabled ones too) over the stored history and print when it
             would have fired and resolved, and how often
`;

interface Io { stdout: (t: string) => void; stderr: (t: string) => void; env: NodeJS.ProcessEnv }

export async function runRulesCli(argv: readonly string[], io: Io, defaultConfig: string): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], allowPositionals: true, strict: true, options: { config: { type: 'string', short: 'c' }, since: { type: 'string' }, help: { type: 'boolean', short: 'h' } } });
  } catch (err) {
    io.stderr(`pmi-agent rules: ${err instanceof Error ? err.message : String(err)}\n\n${RULES_USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.stdout(RULES_USAGE);
    return 0;
  }
  const [sub, ...rest] = positionals;
  const configPath = values.config ?? (io.env.PMI_CONFIG || defaultConfig);
  if (sub !== 'check' && sub !== 'backtest') {
    io.stderr(`pmi-agent rules: ${sub ? `unknown subcommand "${sub}"` : 'no subcommand given'}\n\n${RULES_USAGE}`);
    return 2;
  }
  if ((sub === 'check' && rest.length > 0) || (sub === 'backtest' && rest.length !== 1)) {
    io.stderr(`pmi-agent rules ${sub}: ${sub === 'check' ? 'takes no arguments' : 'name one rule'}\n\n${RULES_USAGE}`);
    return 2;
  }
  let config;
  try {
    config = loadConfig(configPath);
  } catch (err) {
    io.stderr(`pmi-agent: ${err instanceof Error ? err.message : String(err)}\n`);
    return err instanceof PmiError ? 78 : 1;
  }
  // The schema of this version (migrations applied in memory): what the agent checks at start.
  const schema = await openDatabase(':memory:');
  try {
    const set = loadCheckedRules(config.rules, schema.sqlite, { configFile: configPath });
    if (sub === 'check') {
      if (set.problems.length > 0) {
        io.stdout(`${formatProblems(set.problems)}\n${set.problems.length} problem${set.problems.length === 1 ? '' : 's'}; ${set.rules.length} rules ok\n`);
        return 1;
      }
      const over = [...set.overridden.keys()];
      io.stdout(`${set.rules.length} rules ok: ${set.rules.map((r) => r.name).join(', ')}\n` +
        (set.disabled.length ? `disabled: ${set.disabled.map((r) => r.name).join(', ')}\n` : '') +
        (over.length ? `overridden by ${config.rules.directory}: ${over.join(', ')}\n` : ''));
      return 0;
    }
    const name = rest[0]!;
    const rule = [...set.rules, ...set.disabled].find((r) => r.name === name);
    if (!rule) {
      const bad = set.problems.filter((p) => p.file.endsWith(`/${name}.sql`));
      io.stderr(bad.length ? `${formatProblems(bad)}\n` : `pmi-agent rules backtest: no rule named "${name}"\n`);
      return 1;
    }
    const problems = checkRule(rule, prepareRuleInfo(schema.sqlite));
    if (problems.length) {
      io.stderr(`${formatProblems(problems)}\n`);
      return 1;
    }
    const since = parseDuration(values.since ?? '30d');
    if (!since) {
      io.stderr(`pmi-agent rules backtest: --since "${values.since}" is not a duration like 7d, 12h\n`);
      return 2;
    }
    // PostgreSQL store (#17): the backtest's time-travel views are SQLite-only for now
    if (config.database) {
      io.stderr('pmi-agent rules backtest: replays over the SQLite history only; with database.url (PostgreSQL) it is not available yet\n');
      return 1;
    }
    const bt = await openBacktestConnection(config.paths.database);
    try {
      io.stdout(`${formatBacktest(rule, backtestRule(bt, rule, { sinceSeconds: since, intervalSeconds: config.pollIntervalSeconds }))}\n`);
      return 0;
    } finally {
      bt.close();
    }
  } finally {
    await schema.close();
  }
}
