// Loading and checking the configured rules, as the agent does at start and `rules check` does.
import type SqliteDatabase from 'better-sqlite3';
import type { RulesConfig } from '../alerts-config.schema.ts';
import { prepareRuleInfo } from '../../store/rule-reader.ts';
import { checkRules } from './check-rules.ts';
import { loadRules, type RuleSet } from './load-rules.ts';

/** Loads the shipped pack and the user's rules and checks their SQL against `sqlite`'s schema. */
export function loadCheckedRules(cfg: RulesConfig, sqlite: SqliteDatabase.Database, opts: { configFile?: string; shippedDir?: string } = {}): RuleSet {
  const set = loadRules({
    ...(cfg.directory && { userDir: cfg.directory }),
    ...(opts.shippedDir && { shippedDir: opts.shippedDir }),
    disabledNames: cfg.disabled,
    ...(opts.configFile && { configFile: opts.configFile }),
  });
  const checked = checkRules(set.rules, prepareRuleInfo(sqlite));
  return { ...set, rules: checked.good, problems: [...set.problems, ...checked.problems] };
}
