// Side effects of the self-check for one Proxmox Backup Server (#15, optional PBS): each endpoint is
// asked GET /admin/datastore (reachability, TLS with the configured pinning, token), then the first
// good one GET /admin/datastore/{store}/groups per datastore, listed or configured — what the PBS tier
// reads. Only reads: nothing here needs, or asks for, a write right.
import type { PbsServerConfig } from '../config/config.schema.ts';
import { errorMessage } from '../errors.ts';
import { pbsGrant } from '../health/pbs-privileges.ts';
import { datastoreFailure, datastoresToRead, listDatastores, readDatastoreGroups } from '../health/pbs-datastores.ts';
import type { PveClient } from '../pve/pve-client.types.ts';
import { endpointFindings, failedEndpoint, tlsOk, type EndpointCheck } from './check-cluster.ts';
import type { Finding } from './permission-findings.ts';

export interface PbsStoreCheck {
  store: string;
  /** Listed by GET /admin/datastore (else only named in the config's `datastores`). */
  listed: boolean;
  state: 'ok' | 'forbidden' | 'error';
  groups?: number;
}

export interface PbsCheck {
  name: string;
  tokenId: string;
  endpoints: EndpointCheck[];
  datastores: PbsStoreCheck[];
  findings: Finding[];
}

/** Makes a client for one endpoint of a PBS server with no retries (the check wants the first answer). */
export type PbsClientFactory = (server: PbsServerConfig, secret: string) => PveClient;

/**
 * Checks one PBS server; never throws (problems become findings). An unreachable server is an
 * error; a datastore the token cannot read is a warning (that datastore alone goes unread, as
 * a missing health privilege on PVE degrades its signal alone) with the grant line.
 */
export async function checkPbsServer(server: PbsServerConfig, secret: string, createClient: PbsClientFactory, healthEnabled: boolean): Promise<PbsCheck> {
  const result: PbsCheck = { name: server.name, tokenId: server.tokenId, endpoints: [], datastores: [], findings: [] };
  const findings = result.findings;
  const clients: PveClient[] = [];
  let good: PveClient | undefined;
  let listed: string[] = [];
  try {
    for (const url of server.endpoints) {
      const client = createClient({ ...server, endpoints: [url] }, secret);
      clients.push(client);
      let check: EndpointCheck;
      try {
        const names = await listDatastores(client);
        check = { url, ok: true, tls: tlsOk(server), version: `${names.length} datastore${names.length === 1 ? '' : 's'} listed` };
        if (!good) {
          good = client;
          listed = names;
        }
      } catch (err) {
        check = failedEndpoint(err, server, url);
      }
      result.endpoints.push(check);
      findings.push(...endpointFindings(check, server));
    }
    if (!good) {
      findings.push({ level: 'error', message: 'no endpoint answered: no datastore of this server can be read' });
      return result;
    }
    if (!healthEnabled) findings.push({ level: 'warn', message: 'health.enabled is false: the agent does not read this server' });
    const stores = datastoresToRead(listed, server.datastores);
    if (!stores.length) {
      findings.push({ level: 'warn', message: `the token sees no datastore: grant it DatastoreAudit on each (${pbsGrant('NAME', server.tokenId)}), or name them in "datastores"` });
    }
    for (const store of stores) {
      const isListed = listed.includes(store);
      try {
        const n = (await readDatastoreGroups(good, store)).length;
        result.datastores.push({ store, listed: isListed, state: 'ok', groups: n });
        findings.push({ level: 'ok', message: `datastore ${store}: readable (${n} backup group${n === 1 ? '' : 's'})` });
      } catch (err) {
        const state = datastoreFailure(err);
        result.datastores.push({ store, listed: isListed, state });
        findings.push(state === 'forbidden'
          ? { level: 'warn', message: `datastore ${store}: missing DatastoreAudit: its backups are not read; grant it with: ${pbsGrant(store, server.tokenId)}` }
          : { level: 'warn', message: `datastore ${store}: not read: ${errorMessage(err)}` });
      }
    }
    return result;
  } finally {
    await Promise.allSettled(clients.map((c) => c.close()));
  }
}
