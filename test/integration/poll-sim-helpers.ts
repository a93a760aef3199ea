// Shared set-up for the poll integration tests: clients and a poller for a running simulator,
// with logs captured as parsed objects.
import { Writable } from 'node:stream';
import type { SimHandle } from '../../scripts/pve-sim/index.ts';
import { createPveClient } from '../../agent/pve/pve-client.ts';
import { createPoller, type PollerDeps } from '../../agent/poll/poll-cycle.ts';
import { createLogger, type Logger } from '../../agent/log/logger.ts';
import type { ClusterConfig } from '../../agent/config/config.schema.ts';
import type { PveClient } from '../../agent/pve/pve-client.types.ts';

export interface LogSink {
  log: Logger;
  lines: Array<Record<string, unknown>>;
  text: () => string;
}

export function logSink(secrets: string[] = []): LogSink {
  const lines: Array<Record<string, unknown>> = [];
  const raw: string[] = [];
  const stream = new Writable({
    write(chunk, _e, cb) {
      raw.push(String(chunk));
      for (const l of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(l) as Record<string, unknown>);
      cb();
    },
  });
  return { log: createLogger({ level: 'debug', destination: stream, secrets: () => secrets }), lines, text: () => raw.join('') };
}

export function clusterConfig(sim: SimHandle, i: number, over: Partial<ClusterConfig> = {}): ClusterConfig {
  const c = sim.clusters[i]!;
  return {
    name: c.name,
    endpoints: c.endpoints.map((e) => e.url),
    tokenId: sim.tokenId,
    tokenSecret: sim.tokenSecret,
    tls: { insecure: false, fingerprint: sim.fingerprint },
    timeoutMs: 3000,
    ...over,
  };
}

export function clientsFor(sim: SimHandle, log: Logger, configs: ClusterConfig[], secret = sim.tokenSecret, retries = 1): Map<string, PveClient> {
  const m = new Map<string, PveClient>();
  for (const c of configs) m.set(c.name, createPveClient({ cluster: c, secret, log, retries, retryBaseMs: 20 }));
  return m;
}

export function pollerFor(clients: Map<string, PveClient>, log: Logger, over: Partial<PollerDeps> = {}) {
  return createPoller({ clients, log, now: () => Date.now(), concurrency: 8, ...over });
}

export async function closeAll(clients: Map<string, PveClient>): Promise<void> {
  await Promise.all([...clients.values()].map((c) => c.close()));
}
