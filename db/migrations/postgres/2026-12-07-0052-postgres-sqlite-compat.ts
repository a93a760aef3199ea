/* eslint-disable @typescript-eslint/no-explicit-any -- migrations take Kysely<any> by design: they must not depend on today's row types. */
// PostgreSQL twin of 2026-12-07-0052-postgres-sqlite-compat.ts (a no-op on SQLite), issue 17.
// The SQLite functions the documented queries (db/queries) use most, with SQLite's meaning, so
// those queries — and a user's SQLite habits — run unchanged on PostgreSQL:
//  - datetime(epoch, 'unixepoch') / date(epoch, 'unixepoch'): UTC text like SQLite's
//    ('2026-12-07 04:05:06' / '2026-12-07'); any other modifier is refused, not guessed;
//  - max(a, b) / min(a, b), SQLite's two-argument scalar forms (NULL when either is NULL);
//  - round(double precision, n): PostgreSQL rounds only numeric to n places;
//  - group_concat(text): comma-joined, like SQLite's one-argument form; group_concat(text, sep)
//    like its two-argument form (views of later migrations use it, e.g. 0066's v_backup_guest).
// Queries that need more than this ship a twin under db/queries/postgres/.
import { sql, type Kysely } from 'kysely';

const FUNCTIONS = [
  `create function pmi_unixepoch(ts double precision, modifier text) returns timestamp
     language sql immutable as $$
       select case when modifier = 'unixepoch' then to_timestamp(ts) at time zone 'UTC'
                   else (select null::timestamp where pmi_refuse_modifier(modifier)) end $$`,
  `create function datetime(ts double precision, modifier text) returns text language sql immutable as
     $$ select to_char(pmi_unixepoch(ts, modifier), 'YYYY-MM-DD HH24:MI:SS') $$`,
  `create function date(ts double precision, modifier text) returns text language sql immutable as
     $$ select to_char(pmi_unixepoch(ts, modifier), 'YYYY-MM-DD') $$`,
  `create function max(a bigint, b bigint) returns bigint language sql immutable as $$ select case when a is null or b is null then null else greatest(a, b) end $$`,
  `create function min(a bigint, b bigint) returns bigint language sql immutable as $$ select case when a is null or b is null then null else least(a, b) end $$`,
  `create function max(a double precision, b double precision) returns double precision language sql immutable as $$ select case when a is null or b is null then null else greatest(a, b) end $$`,
  `create function min(a double precision, b double precision) returns double precision language sql immutable as $$ select case when a is null or b is null then null else least(a, b) end $$`,
  `create function round(x double precision, places integer) returns double precision language sql immutable as $$ select round(x::numeric, places)::double precision $$`,
  `create function pmi_group_concat_step(acc text, v text) returns text language sql immutable as
     $$ select case when v is null then acc when acc is null then v else acc || ',' || v end $$`,
  `create aggregate group_concat(text) (sfunc = pmi_group_concat_step, stype = text)`,
  `create function pmi_group_concat_sep_step(acc text, v text, sep text) returns text language sql immutable as
     $$ select case when v is null then acc when acc is null then v else acc || sep || v end $$`,
  `create aggregate group_concat(text, text) (sfunc = pmi_group_concat_sep_step, stype = text)`,
];

export async function up(db: Kysely<any>): Promise<void> {
  // raises for a modifier other than 'unixepoch' (SQLite has many; only this one is provided)
  await sql.raw(`create function pmi_refuse_modifier(modifier text) returns boolean language plpgsql immutable as $$
    begin raise exception 'datetime()/date() on PostgreSQL take only the ''unixepoch'' modifier (got %)', modifier; end $$`).execute(db);
  for (const f of FUNCTIONS) await sql.raw(f).execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const f of [
    'aggregate group_concat(text, text)', 'function pmi_group_concat_sep_step(text, text, text)',
    'aggregate group_concat(text)', 'function pmi_group_concat_step(text, text)', 'function round(double precision, integer)',
    'function min(double precision, double precision)', 'function max(double precision, double precision)',
    'function min(bigint, bigint)', 'function max(bigint, bigint)', 'function date(double precision, text)',
    'function datetime(double precision, text)', 'function pmi_unixepoch(double precision, text)', 'function pmi_refuse_modifier(text)',
  ]) await sql.raw(`drop ${f} if exists`).execute(db);
}
