// Reading a Proxmox Backup Server's datastores (#15, optional PBS), the one place that does it: the
// PBS tier (pbs-tier.ts) and the self-check (check-config/check-pbs.ts) list, choose and read them
// alike, so what the check calls readable is what the agent reads.
import type { z } from 'zod';
import { PmiError } from '../errors.ts';
import type { PveClient } from '../pve/pve-client.types.ts';
import { PbsGroupItem, PbsSnapshotItem, PbsStoreItem } from './pbs-rows.ts';

const enc = encodeURIComponent;

/** GET `path`: its items that match `schema` (others are skipped); PVE_BAD_RESPONSE when the answer is not a list. */
async function readList<T>(client: Pick<PveClient, 'get'>, schema: z.ZodType<T>, path: string): Promise<T[]> {
  const data = await client.get(path);
  if (!Array.isArray(data)) throw new PmiError('PVE_BAD_RESPONSE', `${path}: not a list`);
  return data.flatMap((x: unknown) => {
    const r = schema.safeParse(x);
    return r.success ? [r.data] : [];
  });
}

/** GET /admin/datastore: the names of the datastores the token sees. */
export async function listDatastores(client: Pick<PveClient, 'get'>): Promise<string[]> {
  return (await readList(client, PbsStoreItem, '/admin/datastore')).map((x) => x.store);
}

/** The datastores read: those listed and those named in the config (pbs[].datastores), sorted, once each. */
export function datastoresToRead(listed: readonly string[], configured: readonly string[]): string[] {
  return [...new Set([...listed, ...configured])].sort();
}

/** GET /admin/datastore/{store}/groups, parsed. */
export function readDatastoreGroups(client: Pick<PveClient, 'get'>, store: string): Promise<PbsGroupItem[]> {
  return readList(client, PbsGroupItem, `/admin/datastore/${enc(store)}/groups`);
}

/** GET /admin/datastore/{store}/snapshots, parsed. */
export function readDatastoreSnapshots(client: Pick<PveClient, 'get'>, store: string): Promise<PbsSnapshotItem[]> {
  return readList(client, PbsSnapshotItem, `/admin/datastore/${enc(store)}/snapshots`);
}

/** How a datastore read that threw ended: `forbidden` (DatastoreAudit missing) or `error`. */
export function datastoreFailure(err: unknown): 'forbidden' | 'error' {
  return err instanceof PmiError && err.code === 'PVE_FORBIDDEN' ? 'forbidden' : 'error';
}
