// The alert rules' reader on PostgreSQL (issue 17 item 1): the same contract as rule-reader.ts
// (one read-only SELECT with :now/:interval, a time limit, never throws), on a connection of its
// own. Read-only and the time limit are the server's: each rule runs in a READ ONLY transaction
// with a local statement_timeout, so a slow rule is cancelled by PostgreSQL itself (no child
// process to kill as with SQLite, whose reader blocks its thread).
import type pg from 'pg';
import { parametersOf } from '../alerts/rules/check-rules.ts';
import type { RuleReader, RuleRun } from './rule-reader.ts';

const QUERY_CANCELED = '57014';

/** `:name` / `@name` / `$name` → `$k::bigint` (rule parameters are whole seconds), with the values in order. Pure. */
export function toPgParameters(text: string, params: Record<string, number>): { text: string; values: number[] } {
  const values: number[] = [];
  const slot = new Map<string, number>();
  let out = '';
  let at = 0;
  for (const p of parametersOf(text)) {
    let k = slot.get(p.name);
    if (k === undefined) {
      values.push(params[p.name] ?? 0);
      slot.set(p.name, (k = values.length));
    }
    out += `${text.slice(at, p.index)}($${k}::bigint)`;
    at = p.index + p.name.length + 1;
  }
  return { text: out + text.slice(at), values };
}

export function createPgRuleReader(opts: { connect: () => pg.Client; timeoutMs: number; now?: () => number }): RuleReader {
  const now = opts.now ?? (() => performance.now());
  let client: Promise<pg.Client> | undefined;
  const open = () => (client ??= (async () => {
    const c = opts.connect();
    c.on('error', () => { client = undefined; });
    await c.connect();
    return c;
  })());

  return {
    async run(sql, params): Promise<RuleRun> {
      const t0 = now();
      const q = toPgParameters(sql, params);
      let c: pg.Client | undefined;
      try {
        c = await open();
        await c.query('begin read only');
        await c.query(`set local statement_timeout = ${Math.trunc(opts.timeoutMs)}`);
        const res = await c.query(q.text, q.values);
        await c.query('commit');
        return { ok: true, rows: res.rows as Record<string, unknown>[], ms: now() - t0 };
      } catch (err) {
        await c?.query('rollback').catch(() => { client = undefined; });
        const message = err instanceof Error ? err.message : String(err);
        if ((err as { code?: string }).code === QUERY_CANCELED) {
          return { ok: false, code: 'RULE_TIMEOUT', message: `stopped after ${opts.timeoutMs} ms (rules.evalTimeoutMs)`, ms: now() - t0 };
        }
        return { ok: false, code: 'RULE_ERROR', message, ms: now() - t0 };
      }
    },
    async stop() {
      const c = client;
      client = undefined;
      if (c) await (await c.catch(() => undefined))?.end().catch(() => undefined);
    },
  };
}

/**
 * Plans every rule on PostgreSQL without running it (EXPLAIN in a read-only transaction): type
 * errors and SQLite-only functions show here, at start, instead of failing each cycle.
 * Returns one message per rule that does not plan.
 */
export async function checkRulesOnPostgres(pool: pg.Pool, rules: ReadonlyArray<{ name: string; file: string; sql: string }>): Promise<string[]> {
  const problems: string[] = [];
  const c = await pool.connect();
  try {
    for (const r of rules) {
      const q = toPgParameters(r.sql, { now: 0, interval: 60 });
      try {
        await c.query('begin read only');
        await c.query(`explain ${q.text}`, q.values);
      } catch (err) {
        problems.push(`rule "${r.name}" (${r.file}) does not run on PostgreSQL: ${err instanceof Error ? err.message : String(err)}`);
      } finally {
        await c.query('rollback');
      }
    }
  } finally {
    c.release();
  }
  return problems;
}
