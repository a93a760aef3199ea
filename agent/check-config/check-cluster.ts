// Side effects of the self-check for one cluster: every endpoint is asked GET /version (reachability,
// TLS, token), the first good one GET /cluster/status and GET /access/permissions.
import type { ClusterConfig, PolicyRule } from '../config/config.schema.ts';
import { PmiError, errorMessage } from '../errors.ts';
import type { PveClient } from '../pve/pve-client.types.ts';
import { permissionFindings, privilegesAt, summarizePrivileges, type Finding, type Permissions } from './permission-findings.ts';
import { healthPermissionFindings } from '../health/health-privileges.ts';

export type TlsStatus =
  | { kind: 'pinned'; fingerprint: string; caFile?: string }
  | { kind: 'ca'; caFile: string }
  | { kind: 'insecure' }
  | { kind: 'mismatch'; expected: string; seen: string | null }
  | { kind: 'failed'; message: string }
  | { kind: 'not-reached' };

export interface EndpointCheck {
  url: string;
  ok: boolean;
  tls: TlsStatus;
  /** e.g. "8.2.4 (release 8.2)" */
  version?: string;
  error?: { code: string; message: string };
}

export interface ClusterCheck {
  name: string;
  tokenId: string;
  endpoints: EndpointCheck[];
  /** From /cluster/status: the PVE cluster name (null for a standalone node), nodes, quorum. */
  status?: { pveName: string | null; nodes: number; online: number; quorate: boolean | null };
  privileges?: string[];
  findings: Finding[];
}

/** Makes a client for one endpoint of a cluster with no retries (the check wants the first answer). */
export type ClientFactory = (cluster: ClusterConfig, secret: string) => PveClient;

interface StatusEntry {
  type?: string;
  name?: string;
  online?: number | string;
  quorate?: number | string;
}

export function tlsOk(cluster: Pick<ClusterConfig, 'tls'>): TlsStatus {
  if (cluster.tls.fingerprint) return { kind: 'pinned', fingerprint: cluster.tls.fingerprint, ...(cluster.tls.caFile && { caFile: cluster.tls.caFile }) };
  if (cluster.tls.caFile) return { kind: 'ca', caFile: cluster.tls.caFile };
  return { kind: 'insecure' };
}

/** GET /version on one endpoint: what answered, how TLS went, and whether the token was accepted. */
async function checkEndpoint(client: PveClient, cluster: ClusterConfig, url: string): Promise<EndpointCheck> {
  try {
    const v = await client.get<{ version?: string; release?: string }>('/version');
    return { url, ok: true, tls: tlsOk(cluster), version: `${v.version ?? '?'}${v.release ? ` (release ${v.release})` : ''}` };
  } catch (err) {
    return failedEndpoint(err, cluster, url);
  }
}

/** An endpoint whose request threw: how far TLS got and the error (a PBS server's endpoints too). */
export function failedEndpoint(err: unknown, server: Pick<ClusterConfig, 'tls'>, url: string): EndpointCheck {
  const e = err instanceof PmiError ? err : new PmiError('PVE_UNREACHABLE', errorMessage(err), { cause: err });
  let tls: TlsStatus = { kind: 'not-reached' };
  if (e.code === 'PVE_TLS') {
    tls = typeof e.details.expected === 'string'
      ? { kind: 'mismatch', expected: e.details.expected, seen: typeof e.details.seen === 'string' ? e.details.seen : null }
      : { kind: 'failed', message: e.message };
  } else if (e.code === 'PVE_AUTH' || e.code === 'PVE_FORBIDDEN' || e.code === 'PVE_HTTP') {
    tls = tlsOk(server); // an HTTP answer means the TLS handshake passed
  }
  return { url, ok: false, tls, error: { code: e.code, message: e.message } };
}

/** Checks one cluster end to end; never throws (problems become findings). */
export async function checkCluster(cluster: ClusterConfig, secret: string, policy: readonly PolicyRule[], createClient: ClientFactory): Promise<ClusterCheck> {
  const result: ClusterCheck = { name: cluster.name, tokenId: cluster.tokenId, endpoints: [], findings: [] };
  const findings = result.findings;
  let good: PveClient | undefined;
  const clients: PveClient[] = [];
  let nodeNames: string[] = [];
  try {
    for (const url of cluster.endpoints) {
      const client = createClient({ ...cluster, endpoints: [url] }, secret);
      clients.push(client);
      const check = await checkEndpoint(client, cluster, url);
      result.endpoints.push(check);
      if (check.ok) good ??= client;
      findings.push(...endpointFindings(check, cluster));
    }
    if (!good) {
      findings.push({ level: 'error', message: 'no endpoint answered: nothing can be polled' });
      return result;
    }
    try {
      const status = await good.get<StatusEntry[]>('/cluster/status');
      const nodes = status.filter((s) => s.type === 'node');
      nodeNames = nodes.map((n) => String(n.name));
      const cl = status.find((s) => s.type === 'cluster');
      result.status = {
        pveName: cl?.name ?? null,
        nodes: nodes.length,
        online: nodes.filter((n) => Number(n.online) === 1).length,
        quorate: cl ? Number(cl.quorate) === 1 : null,
      };
      if (result.status.quorate === false) findings.push({ level: 'warn', message: 'the cluster is not quorate' });
    } catch (err) {
      findings.push({ level: 'error', message: `GET /cluster/status failed: ${errorMessage(err)}` });
    }
    try {
      const perms = await good.get<Permissions>('/access/permissions');
      result.privileges = summarizePrivileges(perms);
      findings.push(...permissionFindings(perms, policy, cluster.name));
      // health signals (issue #15): each missing privilege degrades its signals only
      findings.push(...healthPermissionFindings((priv, path) => privilegesAt(perms, path).has(priv), cluster.tokenId, nodeNames));
    } catch (err) {
      findings.push({ level: 'error', message: `GET /access/permissions failed, privileges unknown: ${errorMessage(err)}` });
    }
    return result;
  } finally {
    await Promise.allSettled(clients.map((c) => c.close()));
  }
}

/** Insecure TLS, a pin mismatch, a rejected token, any other failure of one endpoint (a PBS server's too). */
export function endpointFindings(check: EndpointCheck, cluster: Pick<ClusterConfig, 'tokenId'>): Finding[] {
  const out: Finding[] = [];
  if (check.tls.kind === 'insecure' && check.ok) {
    out.push({ level: 'warn', message: `${check.url}: TLS is NOT verified ("insecure": true); pin the fingerprint instead` });
  }
  if (check.tls.kind === 'mismatch') {
    out.push({ level: 'error', message: `${check.url}: certificate fingerprint mismatch: expected ${check.tls.expected}, seen ${check.tls.seen ?? '(none)'}` });
  } else if (check.error?.code === 'PVE_AUTH') {
    out.push({ level: 'error', message: `${check.url}: the token ${cluster.tokenId} was rejected (401): wrong token id or secret, or the token expired` });
  } else if (check.error) {
    out.push({ level: 'error', message: `${check.url}: ${check.error.message}` });
  }
  return out;
}
