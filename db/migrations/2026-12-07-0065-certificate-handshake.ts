/* eslint-disable @typescript-eslint/no-explicit-any -- migrations take Kysely<any> by design: they must not depend on today's row types. */
// Frozen once released. Certificates from the TLS handshake (#15): node_certificates rows with
// source 'handshake' (the certificate the polled endpoint presented) sit beside the API's rows
// (source 'api', /nodes/{node}/certificates/info). v_certificate_latest shows a handshake row
// only when the API does not list that certificate for the node (no API rows: a 403, an old
// release; or the API rows are stale and the node now serves another certificate), so one
// certificate never shows (or alerts) twice, and `source` says where each value comes from.
// Plain SQL that PostgreSQL also runs.
import { sql, type Kysely } from 'kysely';

const BODY = `
  select c.name as cluster, k.cluster_id, k.node, k.filename, k.source, k.subject, k.issuer, k.notbefore,
         k.notafter, k.notafter - c.last_sample_ts as expires_in_s, k.fingerprint, k.san, k.last_seen
  from node_certificates k join clusters c on c.id = k.cluster_id
  where k.source <> 'handshake'
     or not exists (select 1 from node_certificates a where a.cluster_id = k.cluster_id and a.node = k.node
                    and a.source = 'api' and upper(a.fingerprint) = upper(k.fingerprint))`;

// as migration 0040 created it
const BEFORE = `
  select c.name as cluster, k.cluster_id, k.node, k.filename, k.source, k.subject, k.issuer, k.notbefore,
         k.notafter, k.notafter - c.last_sample_ts as expires_in_s, k.fingerprint, k.san, k.last_seen
  from node_certificates k join clusters c on c.id = k.cluster_id`;

export async function up(db: Kysely<any>): Promise<void> {
  await sql`drop view if exists v_certificate_latest`.execute(db);
  await sql`create view v_certificate_latest as ${sql.raw(BODY)}`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop view if exists v_certificate_latest`.execute(db);
  await sql`create view v_certificate_latest as ${sql.raw(BEFORE)}`.execute(db);
}
