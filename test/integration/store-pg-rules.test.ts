// Issue 17 item 1: the shipped alert rules plan and run on PostgreSQL (read-only, with the time
// limit), so an agent on PostgreSQL starts with the default rules; a rule that cannot run there is
// named at start (checkRulesOnPostgres), and a slow one is cancelled by the server.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../agent/store/open-database.ts';
import { loadCheckedRules } from '../../agent/alerts/rules/rule-set.ts';
import { RulesConfig } from '../../agent/alerts/alerts-config.schema.ts';
import { checkRulesOnPostgres, createPgRuleReader, toPgParameters } from '../../agent/store/pg-rule-reader.ts';
import { openTestStore, type TestStore } from '../support/store-backends.ts';
import type { PgStore } from '../../agent/store/open-store.ts';

let store: TestStore & PgStore;
beforeAll(async () => {
  store = (await openTestStore('postgres')) as TestStore & PgStore;
});
afterAll(async () => {
  await store?.close();
});

async function shippedRules() {
  const schema = await openDatabase(':memory:');
  try {
    const set = loadCheckedRules(RulesConfig.parse({}), schema.sqlite, { configFile: 'test' });
    expect(set.problems).toEqual([]);
    return set.rules;
  } finally {
    await schema.close();
  }
}

describe('alert rules on PostgreSQL', () => {
  it('binds :now and :interval as numbered bigint parameters', () => {
    expect(toPgParameters("select :now - x, ':now' as s, @interval, :now", { now: 5, interval: 60 })).toEqual({
      text: "select ($1::bigint) - x, ':now' as s, ($2::bigint), ($1::bigint)",
      values: [5, 60],
    });
  });

  it('every shipped rule plans on PostgreSQL', async () => {
    const rules = await shippedRules();
    expect(rules.length).toBeGreaterThan(10);
    expect(await checkRulesOnPostgres(store.pool, rules)).toEqual([]);
  });

  it('every shipped rule runs through the read-only reader', async () => {
    const reader = createPgRuleReader({ connect: store.connectClient, timeoutMs: 10_000 });
    try {
      for (const r of await shippedRules()) {
        const run = await reader.run(r.sql, { now: 1_800_000_000, interval: 60 });
        expect(run, r.name).toMatchObject({ ok: true });
      }
    } finally {
      await reader.stop();
    }
  });

  it('names a rule that cannot run there, refuses writes and cancels a slow rule', async () => {
    const problems = await checkRulesOnPostgres(store.pool, [{ name: 'uses-julianday', file: 'x.sql', sql: "select julianday('now') as d" }]);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/rule "uses-julianday" \(x\.sql\) does not run on PostgreSQL: .*julianday/);
    const reader = createPgRuleReader({ connect: store.connectClient, timeoutMs: 200 });
    try {
      expect(await reader.run("delete from clusters where name = 'x' returning name", {})).toMatchObject({ ok: false, code: 'RULE_ERROR', message: expect.stringMatching(/read-only/) });
      expect(await reader.run('select pg_sleep(30) as s', {})).toMatchObject({ ok: false, code: 'RULE_TIMEOUT' });
      expect(await reader.run('select 1 as one', {})).toMatchObject({ ok: true, rows: [{ one: 1 }] });
    } finally {
      await reader.stop();
    }
  });
});
