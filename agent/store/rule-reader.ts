// Runs the alert rules' SQL where it can neither change data nor stall the agent.
//
// better-sqlite3 is synchronous and exposes neither sqlite3_interrupt() nor a progress handler.
// A worker thread does not help: worker.terminate() only takes effect when the thread returns to
// JavaScript, and a runaway query (a recursive CTE, a cross join of two large views) spends its
// whole time inside one sqlite3_step() call — measured: a worker stuck in such a query ignored
// terminate() for as long as we waited. So the rules run in a small child process with its own
// read-only connection (`readonly` + `PRAGMA query_only`); when a rule overruns its limit the
// process is killed (SIGKILL always works), the rule is reported, and a fresh process serves the
// next rule. Cost: one IPC round trip per rule (well under a millisecond; see the alerts bench).
import { fork, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type SqliteDatabase from 'better-sqlite3';

export type RuleRow = Record<string, unknown>;
export type RuleRun =
  | { ok: true; rows: RuleRow[]; ms: number }
  | { ok: false; code: 'RULE_TIMEOUT' | 'RULE_ERROR'; message: string; ms: number };

export interface RuleReader {
  /** Runs one statement with named parameters, within the time limit. Never throws. */
  run(sql: string, params: Record<string, number>): Promise<RuleRun>;
  /** Ends the child process. */
  stop(): Promise<void>;
}

export interface RuleReaderOptions {
  file: string;
  timeoutMs: number;
  /** Clock for the measured duration (ms). */
  now?: () => number;
}

const CHILD = fileURLToPath(new URL('./rule-reader-child.cjs', import.meta.url));

/** A reader for the database file `file`; the child process starts on first use and after a kill. */
export function createRuleReader(opts: RuleReaderOptions): RuleReader {
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  const now = opts.now ?? (() => performance.now());
  let child: ChildProcess | undefined;
  let ready: Promise<void> | undefined;
  let seq = 0;
  let stderr = '';
  const pending = new Map<number, (m: { ok: boolean; rows?: RuleRow[]; message?: string }) => void>();

  const spawnChild = (): Promise<void> => {
    stderr = '';
    const c = fork(CHILD, [], {
      execArgv: [],
      serialization: 'advanced',
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      env: { PMI_SQLITE_DRIVER: driver, PMI_DB_FILE: opts.file, PATH: process.env.PATH ?? '' },
    });
    child = c;
    c.stderr!.on('data', (d: Buffer) => { stderr = (stderr + d.toString()).slice(-2000); });
    return new Promise<void>((resolve, reject) => {
      c.on('message', (m: { ready?: true; id?: number; ok?: boolean }) => {
        if (m.ready) return resolve();
        const done = pending.get(m.id!);
        pending.delete(m.id!);
        done?.(m as { ok: boolean });
      });
      c.on('exit', (code, signal) => {
        if (child === c) { child = undefined; ready = undefined; }
        const message = `the rule process ended (${signal ?? `exit ${code}`})${stderr ? `: ${stderr.trim()}` : ''}`;
        reject(new Error(message));
        for (const [id, done] of pending) { pending.delete(id); done({ ok: false, message }); }
      });
    });
  };

  const kill = () => {
    const c = child;
    child = undefined;
    ready = undefined;
    c?.kill('SIGKILL');
  };

  return {
    async run(sql, params) {
      const t0 = now();
      try {
        ready ??= spawnChild();
        await ready;
      } catch (err) {
        kill();
        return { ok: false, code: 'RULE_ERROR', message: err instanceof Error ? err.message : String(err), ms: now() - t0 };
      }
      const id = ++seq;
      const c = child!;
      return new Promise<RuleRun>((resolve) => {
        const timer = setTimeout(() => {
          pending.delete(id);
          kill();
          resolve({ ok: false, code: 'RULE_TIMEOUT', message: `stopped after ${opts.timeoutMs} ms (rules.evalTimeoutMs)`, ms: now() - t0 });
        }, opts.timeoutMs);
        pending.set(id, (m) => {
          clearTimeout(timer);
          resolve(m.ok ? { ok: true, rows: m.rows ?? [], ms: now() - t0 } : { ok: false, code: 'RULE_ERROR', message: m.message ?? 'failed', ms: now() - t0 });
        });
        c.send({ id, sql, params });
      });
    },
    async stop() {
      const c = child;
      if (!c) return;
      child = undefined;
      ready = undefined;
      await new Promise<void>((resolve) => {
        const t = setTimeout(() => { c.kill('SIGKILL'); }, 2000);
        c.once('exit', () => { clearTimeout(t); resolve(); });
        if (c.connected) c.disconnect();
        else c.kill('SIGKILL');
      });
    },
  };
}

/** Prepares a rule's query on `sqlite` without running it: columns and whether it only reads. */
export function prepareRuleInfo(sqlite: SqliteDatabase.Database) {
  return (sql: string) => {
    const stmt = sqlite.prepare(sql);
    return { readonly: stmt.readonly, returnsRows: stmt.reader, columns: stmt.reader ? stmt.columns().map((c) => c.name) : [] };
  };
}
