// npm run db:snapshot -- [--config pmi.json | --db path/pmi.db] [--out copy.db]
// Writes a consistent copy of the live database for heavy analysis, leaving the agent undisturbed.
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { backupDatabase } from '../agent/store/db-backup.ts';
import { loadConfig } from '../agent/config/load-config.ts';
import { errorMessage } from '../agent/errors.ts';

const USAGE = `usage: npm run db:snapshot -- (--config FILE | --db FILE) [--out FILE]
  --config FILE  the agent's config; the database is its paths.database
  --db FILE      the database file directly
  --out FILE     where to write the copy (default: next to the database, pmi-snapshot-<UTC time>.db)`;

/** Runs the command; returns the exit code. `now` in epoch ms. */
export async function main(argv: string[], out: (line: string) => void, now = Date.now()): Promise<number> {
  let args;
  try {
    args = parseArgs({ args: argv, options: { config: { type: 'string' }, db: { type: 'string' }, out: { type: 'string' }, help: { type: 'boolean', short: 'h' } } }).values;
  } catch (err) {
    out(`${errorMessage(err)}\n${USAGE}`);
    return 2;
  }
  if (args.help) {
    out(USAGE);
    return 0;
  }
  let source: string;
  try {
    source = args.db ? resolve(args.db) : args.config ? loadConfig(args.config).paths.database : '';
  } catch (err) {
    out(errorMessage(err));
    return 1;
  }
  if (!source) {
    out(USAGE);
    return 2;
  }
  const stamp = new Date(now).toISOString().replace(/[:]/g, '').replace(/\.\d+Z$/, 'Z');
  const dest = resolve(args.out ?? join(dirname(source), `pmi-snapshot-${stamp}.db`));
  out(`copying ${source} → ${dest}`);
  const t0 = performance.now();
  let lastPct = -1;
  try {
    const pages = await backupDatabase(source, dest, (p) => {
      const pct = p.totalPages ? Math.floor(((p.totalPages - p.remainingPages) / p.totalPages) * 100) : 100;
      if (pct >= lastPct + 10 && p.remainingPages > 0) {
        out(`  ${pct}% (${p.totalPages - p.remainingPages}/${p.totalPages} pages)`);
        lastPct = pct;
      }
    });
    out(`  100% (${pages}/${pages} pages)`);
    out(`done: ${pages} pages in ${Math.round(performance.now() - t0)} ms. Query it with: sqlite3 -readonly ${dest}`);
    return 0;
  } catch (err) {
    out(`db:snapshot failed: ${errorMessage(err)}`);
    return 1;
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.exitCode = await main(process.argv.slice(2), (l) => console.log(l));
}
