// The Proxmox Backup Server tier (#15, optional): per configured server, GET /admin/datastore,
// then per datastore its groups and snapshots (2 requests), every `everyCycles` cycles (hourly by
// default), each server in its own phase so no cycle carries them all. A 403 on a datastore
// degrades that datastore alone (pbs_coverage, with the proxmox-backup-manager grant line).
import { dueReads } from './health-schedule.ts';
import type { Kysely } from 'kysely';
import { PmiError, errorMessage } from '../errors.ts';
import type { Logger } from '../log/logger.ts';
import type { PveClient } from '../pve/pve-client.types.ts';
import { writePbsStore } from '../store/pbs.repository.ts';
import type { Database } from '../store/schema.ts';
import { mapPbsGroups, PbsGroupItem, PbsSnapshotItem, PbsStoreItem } from './pbs-rows.ts';
import type { z } from 'zod';

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

const enc = encodeURIComponent;

export function createPbsTier(d: PbsTierDeps): PbsTier {
  let cycle = -1;
  const list = async <T>(client: PveClient, schema: z.ZodType<T>, path: string): Promise<T[]> => {
    const data = await client.get(path);
    if (!Array.isArray(data)) throw new PmiError('PVE_BAD_RESPONSE', `${path}: not a list`);
    return data.flatMap((x) => {
      const r = schema.safeParse(x);
      return r.success ? [r.data] : [];
    });
  };
  async function readServer(s: PbsServerClient): Promise<number> {
    let requests = 1;
    const ts = Math.floor(d.now() / 1000);
    let listed: string[];
    try {
      listed = (await list(s.client, PbsStoreItem, '/admin/datastore')).map((x) => x.store);
    } catch (err) {
      d.log.warn({ server: s.name, err: errorMessage(err) }, `PBS ${s.name}: datastore list failed`);
      return requests;
    }
    for (const store of [...new Set([...listed, ...s.datastores])].sort()) {
      try {
        requests++;
        const groups = await list(s.client, PbsGroupItem, `/admin/datastore/${enc(store)}/groups`);
        requests++;
        const snaps = await list(s.client, PbsSnapshotItem, `/admin/datastore/${enc(store)}/snapshots`);
        await writePbsStore(d.db, { server: s.name, store, tokenId: s.tokenId, ts, state: 'ok', groups: mapPbsGroups(groups, snaps) });
      } catch (err) {
        const forbidden = err instanceof PmiError && err.code === 'PVE_FORBIDDEN';
        const message = errorMessage(err);
        d.log.warn({ server: s.name, store }, `PBS ${s.name}: datastore ${store} ${forbidden ? 'not readable (DatastoreAudit missing)' : 'failed'}: ${message}`);
        await writePbsStore(d.db, { server: s.name, store, tokenId: s.tokenId, ts, state: forbidden ? 'forbidden' : 'error', message });
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
