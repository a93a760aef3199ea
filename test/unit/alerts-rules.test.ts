import { describe, expect, it, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, writeFileSync, rmSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { parseRuleFile } from '../../agent/alerts/rules/rule-file.ts';
import { loadRules } from '../../agent/alerts/rules/load-rules.ts';
import { checkRule, formatProblems, parametersOf } from '../../agent/alerts/rules/check-rules.ts';
import { loadCheckedRules } from '../../agent/alerts/rules/rule-set.ts';
import { openDatabase, type Store } from '../../agent/store/open-database.ts';
import { prepareRuleInfo } from '../../agent/store/rule-reader.ts';
import { parseDuration, formatDuration } from '../../agent/alerts/rules/parse-duration.ts';

const GOOD = `-- Node offline.
-- severity: critical
-- for: 2m
-- keep-firing-for: 1m
-- labels: cluster, node
-- summary: Node {{node}} of {{cluster}} is offline
select cluster, node from v_node_latest where status = 'offline'
`;

let store: Store;
let dir: string;
beforeAll(async () => {
  store = await openDatabase(':memory:');
  dir = mkdtempSync(join(tmpdir(), 'pmi-rules-'));
});
afterAll(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('rule files', () => {
  it('parses the header and the query with its first line', () => {
    const p = parseRuleFile('/r/node-offline.sql', 'node-offline', GOOD);
    expect(p.ok).toBe(true);
    if (!p.ok) return;
    expect(p.rule).toMatchObject({ name: 'node-offline', severity: 'critical', forSeconds: 120, keepFiringForSeconds: 60, labels: ['cluster', 'node'], sqlLine: 7, mutes: false, disabled: false, description: 'Node offline.' });
  });

  it('names every header problem by file and line', () => {
    const p = parseRuleFile('/r/x.sql', 'x', `-- severity: loud\n-- for: soon\n-- labls: a\n-- summary: s\nselect 1`);
    expect(p.ok).toBe(false);
    if (p.ok) return;
    const text = formatProblems(p.problems);
    expect(text).toContain('/r/x.sql:1: severity "loud"');
    expect(text).toContain('/r/x.sql:2: for "soon"');
    expect(text).toContain('/r/x.sql:3: unknown header key "labls"');
    expect(text).toContain('/r/x.sql:1: no "-- labels:" line');
  });

  it('refuses a header key it would have read as description: underscores, digits, a capital letter', () => {
    const p = parseRuleFile('/r/y.sql', 'y', `-- Stale data.\n-- labels: cluster\n-- summary: s\n-- keep_firing_for: 10m\n-- Severity: critical\n-- for2: 5m\n-- Note: a description line may say "Note:"\nselect 1 as cluster`);
    expect(p.ok).toBe(false);
    if (p.ok) return;
    const text = formatProblems(p.problems);
    expect(text).toContain('/r/y.sql:4: unknown header key "keep_firing_for"');
    expect(text).toContain('/r/y.sql:5: header keys are lower-case: "Severity" is "severity"');
    expect(text).toContain('/r/y.sql:6: unknown header key "for2"');
    expect(p.problems).toHaveLength(3);
  });

  it('checks the SQL: syntax error on its line, writes refused, missing columns, unknown parameters', () => {
    const prep = prepareRuleInfo(store.sqlite);
    const rule = (sql: string, extra = '') => {
      const p = parseRuleFile('/r/t.sql', 't', `-- severity: warning\n-- labels: cluster, node\n-- summary: {{cluster}} {{value}}\n${extra}${sql}`);
      if (!p.ok) throw new Error(formatProblems(p.problems));
      return p.rule;
    };
    expect(formatProblems(checkRule(rule('select cluster,\n  node\n  frm v_node_latest'), prep))).toMatch(/^\/r\/t\.sql:6: SQL error: near "v_node_latest": syntax error|^\/r\/t\.sql:6: SQL error: near "frm"/);
    expect(formatProblems(checkRule(rule("delete from clusters returning name as cluster, name as node, 1 as value"), prep))).toContain('/r/t.sql:4: a rule must be one read-only SELECT');
    expect(formatProblems(checkRule(rule('select cluster from v_node_latest'), prep))).toContain('returns no column "node" (named in labels)');
    expect(formatProblems(checkRule(rule('select cluster, node from v_node_latest'), prep))).toContain('returns no column "value" (used in the summary)');
    expect(formatProblems(checkRule(rule('select cluster, node, 1 as value\nfrom v_node_latest where x = :later'), prep))).toContain('/r/t.sql:5: unknown parameter "later"');
    expect(formatProblems(checkRule(rule('select cluster, node, nope as value from v_node_latest'), prep))).toContain('no such column: nope');
    expect(checkRule(rule('select cluster, node, 1 as value from v_node_latest where :now > 0'), prep)).toEqual([]);
  });

  it('finds parameters outside strings and comments', () => {
    expect(parametersOf("select ':x', \"@y\" -- :z\n from t where a = :now and b = @interval").map((p) => p.name)).toEqual(['now', 'interval']);
  });

  it('a user file overrides the shipped rule of the same name; disabled rules are set aside', () => {
    const shipped = join(dir, 'shipped');
    const user = join(dir, 'user');
    mkdirSync(shipped);
    mkdirSync(user);
    writeFileSync(join(shipped, 'node-offline.sql'), GOOD);
    writeFileSync(join(shipped, 'other.sql'), GOOD);
    writeFileSync(join(shipped, 'third.sql'), GOOD);
    writeFileSync(join(user, 'node-offline.sql'), GOOD.replace('critical', 'info'));
    writeFileSync(join(user, 'other.sql'), GOOD.replace('-- for: 2m', '-- disabled: true'));
    const set = loadRules({ shippedDir: shipped, userDir: user, disabledNames: ['third', 'ghost'], configFile: '/etc/c.json' });
    expect(set.rules.map((r) => [r.name, r.severity])).toEqual([['node-offline', 'info']]);
    expect(set.disabled.map((r) => r.name).sort()).toEqual(['other', 'third']);
    expect(set.overridden.get('node-offline')).toBe(join(user, 'node-offline.sql'));
    expect(formatProblems(set.problems)).toBe('/etc/c.json:0: rules.disabled names "ghost", but there is no rule of that name');
  });

  it('the shipped default pack loads and checks clean against the schema', () => {
    const set = loadCheckedRules({ disabled: [], evalTimeoutMs: 1000 }, store.sqlite);
    expect(formatProblems(set.problems)).toBe('');
    expect(set.rules.length).toBeGreaterThanOrEqual(22);
    // the health rules run over the health views (migration 0040), now in the default pack
    for (const name of ['backup-overdue', 'guest-not-in-backup-job', 'backup-job-failed', 'disk-failing', 'zfs-pool-unhealthy', 'thin-metadata-full', 'ceph-not-ok', 'ha-service-error', 'ha-node-fenced', 'replication-failing', 'certificate-expiring', 'reboot-required']) {
      expect(set.rules.map((r) => r.name), name).toContain(name);
    }
  });

  it('durations', () => {
    expect([parseDuration('90s'), parseDuration('1h30m'), parseDuration('0'), parseDuration('7d'), parseDuration('5 m')]).toEqual([90, 5400, 0, 604800, undefined]);
    expect([formatDuration(10_800), formatDuration(5400), formatDuration(45)]).toEqual(['3h', '1h30m', '45s']);
  });
});
