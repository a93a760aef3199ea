// Builds an agent config (agent/config/config.schema.ts shape) that points at a running simulator:
// one cluster entry per simulated cluster, every node as an endpoint, the fingerprint pinned and
// the token secret in a separate file.
import { dirname, join, resolve } from 'node:path';
import type { SimHandle } from './types.ts';

export interface SimConfigOptions {
  /** Where the token secret file is (or will be) written. */
  secretFile: string;
  /** Directory for database, site and inbox paths (default: next to the secret file). */
  dataDir?: string;
  pollIntervalSeconds?: number;
}

/** The config object for the agent; JSON-serialise it to a file. */
export function simConfig(sim: Pick<SimHandle, 'clusters' | 'tokenId' | 'fingerprint'>, o: SimConfigOptions): Record<string, unknown> {
  const dir = resolve(o.dataDir ?? dirname(o.secretFile));
  return {
    clusters: sim.clusters.map((c) => ({
      name: c.name,
      endpoints: c.endpoints.map((e) => e.url),
      tokenId: sim.tokenId,
      tokenSecretFile: resolve(o.secretFile),
      tls: { fingerprint: sim.fingerprint },
    })),
    pollIntervalSeconds: o.pollIntervalSeconds ?? 10,
    paths: { database: join(dir, 'pmi.db'), site: join(dir, 'site'), inbox: join(dir, 'inbox') },
  };
}
