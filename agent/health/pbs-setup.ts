// Builds the PBS tier from the config (#15, optional PBS): one pinned HTTPS client per server with
// its token secret from a file or a systemd credential (like the clusters'), PBS's token header.
import type { Kysely } from 'kysely';
import type { Config } from '../config/config.schema.ts';
import { loadSecret } from '../config/load-secrets.ts';
import type { Logger } from '../log/logger.ts';
import { createPveClient } from '../pve/pve-client.ts';
import type { Database } from '../store/schema.ts';
import { createPbsTier, type PbsServerClient, type PbsTier } from './pbs-tier.ts';

export interface PbsSetup {
  tier: PbsTier | undefined;
  clients: PbsServerClient[];
  close(): Promise<void>;
}

export function setupPbs(config: Config, d: { db: Kysely<Database>; log: Logger; now: () => number; intervalSeconds: number; credentialsDir?: string; registerSecret: (name: string, secret: string) => void }): PbsSetup {
  const clients: PbsServerClient[] = config.pbs.map((p) => {
    const secret = loadSecret(p, { ...(d.credentialsDir && { credentialsDir: d.credentialsDir }), log: d.log });
    d.registerSecret(`pbs:${p.name}`, secret);
    const client = createPveClient({ cluster: p, secret, log: d.log.child({ pbs: p.name }), retries: 1, retryBaseMs: config.poll.retryBaseMs, authorization: `PBSAPIToken=${p.tokenId}:${secret}` });
    return { name: p.name, tokenId: p.tokenId, datastores: p.datastores, client };
  });
  const everyCycles = Math.max(1, Math.round(config.health.every.pbs / d.intervalSeconds));
  return {
    tier: clients.length && config.health.enabled ? createPbsTier({ servers: clients, db: d.db, log: d.log, now: d.now, everyCycles }) : undefined,
    clients,
    close: async () => void (await Promise.all(clients.map((c) => c.client.close().catch(() => undefined)))),
  };
}
