// `pmi-agent db copy --from sqlite:FILE --to postgres://…` (issue 17 item 6): moves a SQLite
// history into PostgreSQL. Parsing and output here; the copy itself is agent/store/db-copy.ts.
import { parseArgs } from 'node:util';
import { PmiError, errorMessage } from './errors.ts';
import type { CliIo } from './cli.ts';

export const DB_USAGE = `Usage: pmi-agent db copy --from sqlite:FILE --to postgres://USER@HOST:PORT/DB [--password-file FILE]

Copies every table of a SQLite history (FILE, the agent's paths.database) into an empty PostgreSQL
database, migrating it first; shows progress and checks the row counts of every table at the end.
Stop the agent first. The password: in the URL, in --password-file (mode 0600), or PGPASSWORD.
Then set database.url (and passwordFile) in the config and start the agent again (db/README.md).
`;

const EXIT = { OK: 0, FAILURE: 1, USAGE: 2, CONFIG: 78 } as const;

export async function runDbCli(argv: readonly string[], io: CliIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv], allowPositionals: true, strict: true,
      options: { from: { type: 'string' }, to: { type: 'string' }, 'password-file': { type: 'string' }, help: { type: 'boolean', short: 'h' }, quiet: { type: 'boolean', short: 'q' } },
    });
  } catch (err) {
    io.stderr(`pmi-agent db: ${errorMessage(err)}\n\n${DB_USAGE}`);
    return EXIT.USAGE;
  }
  const { values, positionals } = parsed;
  if (values.help) { io.stdout(DB_USAGE); return EXIT.OK; }
  const usage = (m: string) => { io.stderr(`pmi-agent db: ${m}\n\n${DB_USAGE}`); return EXIT.USAGE; };
  if (positionals[0] !== 'copy' || positionals.length !== 1) return usage(positionals[0] ? `unknown db command "${positionals.join(' ')}"` : 'no db command given');
  if (!values.from?.startsWith('sqlite:') || values.from.length <= 'sqlite:'.length) return usage('--from sqlite:FILE is required');
  if (!values.to || !/^postgres(ql)?:\/\//.test(values.to)) return usage('--to postgres://… is required');

  const { existsSync } = await import('node:fs');
  const file = values.from.slice('sqlite:'.length);
  if (!existsSync(file)) { io.stderr(`pmi-agent db: ${file}: no such file\n`); return EXIT.CONFIG; }
  const { openDatabase } = await import('./store/open-database.ts');
  const { openPgStore } = await import('./store/open-store.ts');
  const { copySqliteToPostgres } = await import('./store/db-copy.ts');
  const { redactUrl } = await import('./store/pg-dialect.ts');

  let source;
  let target;
  try {
    source = await openDatabase(file);
    // without --password-file, node-postgres takes the URL's password or PGPASSWORD itself
    target = await openPgStore({ url: values.to, ...(values['password-file'] && { passwordFile: values['password-file'] }) });
    io.stderr(`pmi-agent db: copying ${file} into ${redactUrl(values.to)}\n`);
    let lastAt = 0;
    let lastTable = '';
    const t0 = Date.now();
    const result = await copySqliteToPostgres(source, target, {
      onProgress: (p) => {
        const now = Date.now();
        // a line per table end and at most one a second in between: long copies show they move
        if (!values.quiet && (p.done === p.total || p.table !== lastTable || now - lastAt >= 1000)) {
          io.stderr(`  ${p.table}: ${p.done.toLocaleString('en')} / ${p.total.toLocaleString('en')} rows (all tables ${Math.floor((100 * p.allDone) / Math.max(1, p.allTotal))} %)\n`);
          lastAt = now;
          lastTable = p.table;
        }
      },
    });
    for (const t of result.tables) io.stdout(`${t.table}\t${t.source}\t${t.target}\t${t.source === t.target ? 'ok' : 'MISMATCH'}\n`);
    if (result.mismatches.length > 0) {
      io.stderr(`pmi-agent db: row counts differ:\n${result.mismatches.join('\n')}\n`);
      return EXIT.FAILURE;
    }
    io.stderr(`pmi-agent db: copied ${result.rows.toLocaleString('en')} rows in ${result.tables.length} tables in ${((Date.now() - t0) / 1000).toFixed(1)} s; every table's row count matches\n`);
    return EXIT.OK;
  } catch (err) {
    io.stderr(`pmi-agent db: ${errorMessage(err)}\n`);
    return err instanceof PmiError && (err.code === 'CONFIG_INVALID' || err.code.startsWith('SECRET_')) ? EXIT.CONFIG : EXIT.FAILURE;
  } finally {
    await source?.close();
    await target?.close();
  }
}
