// Writes what the PBS tier read (#15, optional PBS): a datastore's groups replaced in one
// transaction, and its coverage row (ok / forbidden / error) beside it.
import { sql, type Kysely } from 'kysely';
import type { PbsGroupRow } from '../health/pbs-rows.ts';
import type { Database } from './schema.ts';

export interface PbsStoreResult {
  server: string;
  store: string;
  tokenId: string;
  ts: number;
  state: 'ok' | 'forbidden' | 'error';
  message?: string;
  groups?: PbsGroupRow[];
}

export async function writePbsStore(db: Kysely<Database>, r: PbsStoreResult): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await sql`insert into pbs_coverage (server, store, state, message, token_id, last_try, last_ok)
      values (${r.server}, ${r.store}, ${r.state}, ${r.message ?? null}, ${r.tokenId}, ${r.ts}, ${r.state === 'ok' ? r.ts : null})
      on conflict (server, store) do update set state = excluded.state, message = excluded.message, token_id = excluded.token_id,
        last_try = excluded.last_try, last_ok = coalesce(excluded.last_ok, pbs_coverage.last_ok)`.execute(trx);
    if (r.state !== 'ok' || !r.groups) return;
    for (const g of r.groups) {
      await sql`insert into pbs_groups (server, store, backup_type, backup_id, last_backup, backup_count, last_size_bytes, verify_state, verify_upid, owner, last_seen)
        values (${r.server}, ${r.store}, ${g.backupType}, ${g.backupId}, ${g.lastBackup}, ${g.backupCount}, ${g.lastSizeBytes}, ${g.verifyState}, ${g.verifyUpid}, ${g.owner}, ${r.ts})
        on conflict (server, store, backup_type, backup_id) do update set last_backup = excluded.last_backup, backup_count = excluded.backup_count,
          last_size_bytes = excluded.last_size_bytes, verify_state = excluded.verify_state, verify_upid = excluded.verify_upid,
          owner = excluded.owner, last_seen = excluded.last_seen`.execute(trx);
    }
    // groups pruned away on the server go
    await sql`delete from pbs_groups where server = ${r.server} and store = ${r.store} and last_seen < ${r.ts}`.execute(trx);
  });
}
