// node-postgres itself: the store's pool, clients and type parsers. Loaded by openPgStore only
// (a dynamic import), so an agent on SQLite never loads pg (~2.8 MB of heap, #13 item 7).
import pg from 'pg';
import { PREPARED, withPassword, type PgConnectOptions } from './pg-dialect.ts';

const INT8_OID = 20;
const NUMERIC_OID = 1700;

/**
 * The store's type parsers, for every connection it opens (the pool and the alert rules' own
 * client): also cheaper than node-postgres's defaults, which test each int8 against a regular
 * expression and hand back the text.
 */
export const pgTypes = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === INT8_OID || oid === NUMERIC_OID) return (v: string) => (v === null ? null : Number(v));
    return pg.types.getTypeParser(oid, format);
  },
} as pg.CustomTypesConfig;

const MAX_PREPARED = 64;
const preparedNames = new Map<string, string>();

/** The name of a marked statement's text (one per distinct text; beyond MAX_PREPARED, none: sent unnamed). */
function preparedName(text: string): string | undefined {
  let name = preparedNames.get(text);
  if (!name && preparedNames.size < MAX_PREPARED) preparedNames.set(text, (name = `pmi_${preparedNames.size + 1}`));
  return name;
}

/** node-postgres's client, sending a statement marked PREPARED as a named statement. */
class PreparingClient extends pg.Client {
  // node-postgres's query() has many overloads; only (text, values) of a marked text is changed
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  override query(config: any, values?: any, callback?: any): any {
    const name = typeof config === 'string' && config.startsWith(PREPARED) && typeof callback !== 'function' ? preparedName(config) : undefined;
    return name ? super.query({ name, text: config, values }) : super.query(config, values, callback);
  }
}

export function createPgPool(o: PgConnectOptions): pg.Pool {
  const pool = new pg.Pool({
    Client: PreparingClient as unknown as new () => pg.ClientBase,
    connectionString: withPassword(o.url, o.password),
    max: o.max ?? 4,
    application_name: o.applicationName ?? 'pmi-agent',
    types: pgTypes,
    ...(o.keepIdle && { idleTimeoutMillis: 0, allowExitOnIdle: true }),
  });
  // An idle connection the server closed (restart, failover) must not crash the agent; the pool
  // replaces it at the next query, which then fails or succeeds on its own.
  pool.on('error', () => undefined);
  return pool;
}

/** A client outside the pool with the store's type parsers (the alert rules' reader). */
export function createPgClient(o: { url: string; password?: string | undefined; applicationName: string }): pg.Client {
  return new pg.Client({ connectionString: withPassword(o.url, o.password), application_name: o.applicationName, types: pgTypes });
}
