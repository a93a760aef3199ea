// `pmi-agent check-config`: validate the config, load each secret, check each cluster and PBS server.
import type { Config } from '../config/config.schema.ts';
import { loadConfig } from '../config/load-config.ts';
import { loadSecret } from '../config/load-secrets.ts';
import { errorMessage } from '../errors.ts';
import type { Logger } from '../log/logger.ts';
import { createPveClient } from '../pve/pve-client.ts';
import { checkCluster, type ClientFactory, type ClusterCheck } from './check-cluster.ts';
import { checkPaths } from './check-paths.ts';
import { checkDatabase } from './check-database.ts'; // PostgreSQL store (#17)
import { describePolicy } from '../inbox/policy.ts';
import type { Finding } from './permission-findings.ts';
import { checkPbsServer, type PbsCheck, type PbsClientFactory } from './check-pbs.ts'; // optional PBS (#15)
import { createPbsClient, pbsOwner } from '../health/pbs-setup.ts';

export interface CheckReport {
  configPath: string;
  /** The folders the agent writes. */
  paths: Finding[];
  clusters: ClusterCheck[];
  /** One per configured Proxmox Backup Server (config `pbs`). */
  pbs: PbsCheck[];
  /** Who may do what where: one line per actions.policy rule. */
  policy?: string[];
}

export interface CheckConfigDeps {
  /** Quiet logger handed to the clients (the report says what matters). */
  log: Logger;
  credentialsDir?: string;
  createClient?: ClientFactory;
  createPbsClient?: PbsClientFactory;
  /** Already loaded config (tests); otherwise read from configPath. Throws CONFIG_INVALID. */
  config?: Readonly<Config>;
}

/**
 * Runs every check and returns the report. Throws PmiError CONFIG_INVALID (every problem with its
 * path) when the config itself is invalid; secret and cluster problems become findings.
 */
export async function checkConfig(configPath: string, deps: CheckConfigDeps): Promise<CheckReport> {
  const config = deps.config ?? loadConfig(configPath);
  const createClient: ClientFactory =
    deps.createClient ?? ((cluster, secret) => createPveClient({ cluster, secret, log: deps.log, retries: 0, retryBaseMs: 1 }));
  const clusters = await Promise.all(
    config.clusters.map(async (cluster): Promise<ClusterCheck> => {
      const warnings: string[] = [];
      let secret: string;
      try {
        secret = loadSecret(cluster, { credentialsDir: deps.credentialsDir, log: { warn: (_o: unknown, msg?: string) => warnings.push(msg ?? '') } as Pick<Logger, 'warn'> });
      } catch (err) {
        return { name: cluster.name, tokenId: cluster.tokenId, endpoints: [], findings: [{ level: 'error', message: `token secret: ${errorMessage(err)}` }] };
      }
      const check = await checkCluster(cluster, secret, config.actions.policy, createClient);
      check.findings.unshift(...warnings.map((w) => ({ level: 'warn' as const, message: w })));
      return check;
    }),
  );
  const pbs = await Promise.all(config.pbs.map((server) => checkPbs(server, config.health.enabled, deps)));
  return { configPath, paths: [...checkPaths(config), ...(await checkDatabase(config, deps.credentialsDir))], clusters, pbs, policy: describePolicy(config.actions.policy) };
}

/** One PBS server: its secret as pbs-setup loads it (same wording as the clusters', naming the server), then the server. */
async function checkPbs(server: Config['pbs'][number], healthEnabled: boolean, deps: CheckConfigDeps): Promise<PbsCheck> {
  const warnings: string[] = [];
  let secret: string;
  try {
    secret = loadSecret(server, { credentialsDir: deps.credentialsDir, owner: pbsOwner(server.name), log: { warn: (_o: unknown, msg?: string) => warnings.push(msg ?? '') } as Pick<Logger, 'warn'> });
  } catch (err) {
    return { name: server.name, tokenId: server.tokenId, endpoints: [], datastores: [], findings: [{ level: 'error', message: `token secret: ${errorMessage(err)}` }] };
  }
  const createClient: PbsClientFactory = deps.createPbsClient ?? ((s, sec) => createPbsClient(s, sec, deps.log, 0, 1));
  const check = await checkPbsServer(server, secret, createClient, healthEnabled);
  check.findings.unshift(...warnings.map((w) => ({ level: 'warn' as const, message: w })));
  return check;
}

/** True when any finding is an error (the CLI then exits non-zero). */
export function hasErrors(report: CheckReport): boolean {
  return report.paths.some((f) => f.level === 'error') || [...report.clusters, ...report.pbs].some((c) => c.findings.some((f) => f.level === 'error'));
}
