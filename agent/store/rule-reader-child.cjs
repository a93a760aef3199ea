// The alert rules' evaluation process (see rule-reader.ts for why a process). Plain CommonJS so
// node runs it as it is under tsx, the bundle and vitest. It opens the database read-only with
// `PRAGMA query_only` on top, so no rule can change data even through a function with side effects,
// answers one message per rule and is killed (SIGKILL) by the agent when a rule overruns its limit.
/* global require, process -- a node child process */
'use strict';
// eslint-disable-next-line @typescript-eslint/no-require-imports -- plain CommonJS child: the driver's absolute path comes from the parent
const Database = require(process.env.PMI_SQLITE_DRIVER);
const db = new Database(process.env.PMI_DB_FILE, { readonly: true, fileMustExist: true });
db.pragma('query_only = 1');
db.pragma('busy_timeout = 5000');
db.pragma('temp_store = MEMORY');
const cache = new Map();

process.on('message', (m) => {
  const t0 = process.hrtime.bigint();
  try {
    let stmt = cache.get(m.sql);
    if (!stmt) {
      stmt = db.prepare(m.sql);
      if (!stmt.readonly) throw new Error('a rule must be a read-only SELECT');
      cache.set(m.sql, stmt);
    }
    const rows = stmt.all(m.params);
    process.send({ id: m.id, ok: true, rows, ms: Number(process.hrtime.bigint() - t0) / 1e6 });
  } catch (e) {
    process.send({ id: m.id, ok: false, message: String((e && e.message) || e), ms: Number(process.hrtime.bigint() - t0) / 1e6 });
  }
});
process.on('disconnect', () => {
  db.close();
  process.exit(0);
});
process.send({ ready: true });
