// The Proxmox Backup Server tier (#15, optional): per configured server, GET /admin/datastore,
// then per datastore its groups and snapshots (2 requests), every `everyCycles` cycles (hourly by
// default), each server in its own phase so no cycle carries them all. A 403 on a datastore
// degrades that datastore alone (pbs_coverage, with the proxmox-backup-manager grant line).
import { dueReads } from './health-schedule.ts';
import type { Kysely } from 'kysely';
import { errorMessage } from '../errors.ts';
import type { Logger } from '../log/logger.ts';
import type { PveClient } from '../pve/pve-client.types.ts';
import { writePbsStore } from '../store/pbs.repository.ts';
import type { Database } from '../store/schema.ts';
import { mapPbsGroups } from './pbs-rows.ts';
import { datastoreFailure, datastoresToRead, listDatastores, readDatastoreGroups, readDatastoreSnapshots } from './pbs-datastores.ts';

export interface PbsServerClient {
  name: string;
  tokenId: string;
  /** Datastores read even when the list omits them (config pbs[].datastores). */
  datastores: readonly string[];
  client: PveClient;
}

export interface PbsTierDeps {
  servers: readonly PbsServerClient[];
  db: Kysely<Database>;
  log: Logger;
  now: () => number;
  /** Cycles between two reads of a server (hourly: 3600 / poll interval). */
  everyCycles: number;
}

export interface PbsTier {
  /** Reads the servers due this cycle; returns the requests made. */
  runCycle(): Promise<number>;
}

export function createPbsTier(d: PbsTierDeps): PbsTier {
  let cycle = -1;
  async function readServer(s: PbsServerClient): Promise<number> {
    let requests = 1;
    const ts = Math.floor(d.now() / 1000);
    let listed: string[];
    try {
      listed = await listDatastores(s.client);
    } catch (err) {
      d.log.warn({ server: s.name, err: errorMessage(err) }, `PBS ${s.name}: datastore list failed`);
      return requests;
    }
    for (const store of datastoresToRead(listed, s.datastores)) {
      try {
        requests++;
        const groups = await readDatastoreGroups(s.client, store);
        requests++;
        const snaps = await readDatastoreSnapshots(s.client, store);
        await writePbsStore(d.db, { server: s.name, store, tokenId: s.tokenId, ts, state: 'ok', groups: mapPbsGroups(groups, snaps) });
      } catch (err) {
        const state = datastoreFailure(err);
        const message = errorMessage(err);
        d.log.warn({ server: s.name, store }, `PBS ${s.name}: datastore ${store} ${state === 'forbidden' ? 'not readable (DatastoreAudit missing)' : 'failed'}: ${message}`);
        await writePbsStore(d.db, { server: s.name, store, tokenId: s.tokenId, ts, state, message });
      }
    }
    return requests;
  }
  return {
    async runCycle() {
      cycle++;
      // the servers spread over the period like every other slow read
      const due = dueReads(cycle, d.servers.map((s) => ({ key: s.name, periodCycles: Math.max(1, d.everyCycles) })));
      let requests = 0;
      for (const s of d.servers) if (due.has(s.name)) requests += await readServer(s);
      return requests;
    },
  };
}
