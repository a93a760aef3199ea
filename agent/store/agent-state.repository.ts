import type { Kysely, Transaction } from 'kysely';
import type { Database } from './schema.ts';

type Db = Kysely<Database> | Transaction<Database>;

/** A numeric value from agent_state (watermarks, cursors), or undefined. */
export async function getStateNumber(db: Db, key: string): Promise<number | undefined> {
  const row = await db.selectFrom('agent_state').select('value').where('key', '=', key).executeTakeFirst();
  if (!row) return undefined;
  const n = Number(row.value);
  return Number.isFinite(n) ? n : undefined;
}

/** Sets an agent_state value; updated_at in epoch seconds. */
export async function setState(db: Db, key: string, value: string | number, nowSec: number): Promise<void> {
  await db
    .insertInto('agent_state')
    .values({ key, value: String(value), updated_at: nowSec })
    .onConflict((oc) => oc.column('key').doUpdateSet({ value: String(value), updated_at: nowSec }))
    .execute();
}

/** Lowers a numeric agent_state value to `value` (sets it if absent); used to re-roll after backfill. */
export async function lowerStateNumber(db: Db, key: string, value: number, nowSec: number): Promise<void> {
  const cur = await getStateNumber(db, key);
  if (cur !== undefined && cur > value) await setState(db, key, value, nowSec);
}
