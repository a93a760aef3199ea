// Which agent runs an action when several share the database (issue 17 item 2): the holder of
// the guest's cluster lease claims the row with one conditional UPDATE. The lease is exclusive, so
// at most one agent can claim at any instant; a holder that dies leaves claimed_by behind, and
// the next holder claims over it and resumes from the row (a recorded UPID is followed, an unknown
// outcome is checked against the cluster's tasks), never running the action a second time.
import type { Kysely } from 'kysely';
import type { Database } from './schema.ts';
import type { FleetTables } from './fleet-schema.ts';

type ClaimDatabase = Omit<Database, 'actions'> & FleetTables & { actions: Database['actions'] & { claimed_by: string | null; received_by: string | null } };

/**
 * Claims the unfinished action `id` for `agent` if it holds the lease of the action's cluster
 * now. Idempotent for the holder; false for everyone else.
 */
export async function claimAction(db: Kysely<Database>, id: string, agent: string, nowMs: number): Promise<boolean> {
  const cdb = db as unknown as Kysely<ClaimDatabase>;
  const r = await cdb
    .updateTable('actions')
    .set({ claimed_by: agent })
    .where('id', '=', id)
    .where('outcome', 'is', null)
    .where(({ exists, selectFrom }) =>
      exists(
        selectFrom('cluster_leases')
          .select('cluster_leases.cluster')
          .whereRef('cluster_leases.cluster', '=', 'actions.cluster')
          .where('cluster_leases.holder', '=', agent)
          .where('cluster_leases.released_ms', 'is', null)
          .where('cluster_leases.expires_ms', '>', nowMs),
      ),
    )
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}
