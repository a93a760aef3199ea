// Row types of the fleet tables (db/migrations/2026-12-07-0095-agent-leases.ts). Kept beside
// schema.ts rather than in it, so the branch that adds them touches schema.ts not at all.
import type { Kysely } from 'kysely';
import type { Database } from './schema.ts';

/** Times are epoch ms; PostgreSQL's bigint may come back as a string, so readers pass them through Number(). */
type Ms = number | string;

export interface AgentsTable {
  id: string;
  host: string;
  pid: number;
  started_ms: Ms;
  seen_ms: Ms;
  stopped_ms: Ms | null;
  interval_seconds: number;
  lease_ms: number;
  /** JSON array of the configured cluster names. */
  clusters: string;
  publish_copy: number;
}

export interface ClusterLeasesTable {
  /** A cluster name, or SITE_LEASE for the fleet's publisher. */
  cluster: string;
  holder: string;
  acquired_ms: Ms;
  renewed_ms: Ms;
  expires_ms: Ms;
  released_ms: Ms | null;
}

/**
 * acquired: nobody held it; released: the holder let go (a clean stop; to_agent null); handover:
 * taken after a release; expired: taken from a holder gone silent; forced: taken by an agent alone
 * on its database from another id.
 */
export type HandoverReason = 'acquired' | 'released' | 'handover' | 'expired' | 'forced';

export interface LeaseHistoryTable {
  cluster: string;
  at_ms: Ms;
  from_agent: string | null;
  to_agent: string | null;
  reason: HandoverReason;
}

export interface FleetTables {
  agents: AgentsTable;
  cluster_leases: ClusterLeasesTable;
  lease_history: LeaseHistoryTable;
}

export type FleetDatabase = Database & FleetTables;

/** The lease that makes one agent the fleet's publisher (site, maintenance, alerts): no cluster name starts with '*'. */
export const SITE_LEASE = '*site';

/** Views a Kysely<Database> with the fleet tables. */
export function fleetDb(db: Kysely<Database>): Kysely<FleetDatabase> {
  return db as unknown as Kysely<FleetDatabase>;
}
