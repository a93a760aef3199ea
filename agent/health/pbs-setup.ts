// Builds the PBS tier from the config (#15, optional PBS): one pinned HTTPS client per server with
// its token secret from a file or a systemd credential (like the clusters'), PBS's token header.
import { periodCycles } from './health-schedule.ts';
import type { Kysely } from 'kysely';
import type { Config, PbsServerConfig } from '../config/config.schema.ts';
import { loadSecret } from '../config/load-secrets.ts';
import type { Logger } from '../log/logger.ts';
import { createPveClient } from '../pve/pve-client.ts';
import type { PveClient } from '../pve/pve-client.types.ts';
import type { Database } from '../store/schema.ts';
import { createPbsTier, type PbsServerClient, type PbsTier } from './pbs-tier.ts';

export interface PbsSetup {
  tier: PbsTier | undefined;
  clients: PbsServerClient[];
  close(): Promise<void>;
}

/** How secret messages name a PBS server (check-config says the same). */
export function pbsOwner(name: string): string {
  return `PBS server "${name}"`;
}

/** The client for one PBS server: PBS's token header ("PBSAPIToken=id:secret"), the server's TLS pin or CA, its endpoints. */
export function createPbsClient(p: PbsServerConfig, secret: string, log: Logger, retries: number, retryBaseMs: number): PveClient {
  return createPveClient({ cluster: p, secret, log, retries, retryBaseMs, authorization: `PBSAPIToken=${p.tokenId}:${secret}` });
}

export function setupPbs(config: Config, d: { db: Kysely<Database>; log: Logger; now: () => number; intervalSeconds: number; credentialsDir?: string; registerSecret: (name: string, secret: string) => void }): PbsSetup {
  const clients: PbsServerClient[] = config.pbs.map((p) => {
    const secret = loadSecret(p, { ...(d.credentialsDir && { credentialsDir: d.credentialsDir }), log: d.log, owner: pbsOwner(p.name) });
    d.registerSecret(`pbs:${p.name}`, secret);
    const client = createPbsClient(p, secret, d.log.child({ pbs: p.name }), 1, config.poll.retryBaseMs);
    return { name: p.name, tokenId: p.tokenId, datastores: p.datastores, client };
  });
  const everyCycles = periodCycles(config.health.every.pbs, d.intervalSeconds);
  return {
    tier: clients.length && config.health.enabled ? createPbsTier({ servers: clients, db: d.db, log: d.log, now: d.now, everyCycles }) : undefined,
    clients,
    close: async () => void (await Promise.all(clients.map((c) => c.client.close().catch(() => undefined)))),
  };
}
