// Issue 14 item 5: guests' snapshot lists (migration 0080). The current list replaces the stored
// one; the fetch row says when it was read (and the error, when the read failed: the old list
// stays, marked by the error, rather than vanishing).
import type { Kysely } from 'kysely';
import type { Database } from './schema.ts';

export interface SnapshotEntryRow {
  name: string;
  snaptime: number | null;
  description: string | null;
  parent: string | null;
  vmstate: number | null;
}

export interface SnapshotListResult {
  vmid: number;
  /** Absent when the read failed (then `error` is set). */
  entries?: SnapshotEntryRow[];
  currentParent?: string | null;
  error?: string;
}

/** vmid → when its list was last read, for the given guests of one cluster (by our name). */
export async function querySnapshotFetchTimes(db: Kysely<Database>, cluster: string, vmids: readonly number[]): Promise<Map<number, number>> {
  if (!vmids.length) return new Map();
  const rows = await db
    .selectFrom('guest_snapshot_fetches as f')
    .innerJoin('clusters as c', 'c.id', 'f.cluster_id')
    .select(['f.vmid', 'f.fetched_at'])
    .where('c.name', '=', cluster)
    .where('f.vmid', 'in', [...vmids])
    .execute();
  return new Map(rows.map((r) => [r.vmid, r.fetched_at]));
}

/** Stores one cluster's lists read this cycle, in one transaction. */
export async function writeSnapshotLists(db: Kysely<Database>, cluster: string, fetchedAt: number, lists: SnapshotListResult[]): Promise<void> {
  if (!lists.length) return;
  await db.transaction().execute(async (trx) => {
    const c = await trx.selectFrom('clusters').select('id').where('name', '=', cluster).executeTakeFirst();
    if (!c) return;
    for (const l of lists) {
      let changed = false;
      if (l.entries) {
        const before = await trx.selectFrom('guest_snapshots').select(['name', 'snaptime', 'description', 'parent', 'vmstate']).where('cluster_id', '=', c.id).where('vmid', '=', l.vmid).orderBy('name').execute();
        const after = [...l.entries].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
        const prev = await trx.selectFrom('guest_snapshot_fetches').select(['current_parent', 'error']).where('cluster_id', '=', c.id).where('vmid', '=', l.vmid).executeTakeFirst();
        changed = !prev || prev.error !== null || prev.current_parent !== (l.currentParent ?? null) || JSON.stringify(before) !== JSON.stringify(after.map((e) => ({ name: e.name, snaptime: e.snaptime, description: e.description, parent: e.parent, vmstate: e.vmstate })));
        if (changed) {
          await trx.deleteFrom('guest_snapshots').where('cluster_id', '=', c.id).where('vmid', '=', l.vmid).execute();
          if (l.entries.length) {
            await trx.insertInto('guest_snapshots').values(l.entries.map((e) => ({ cluster_id: c.id, vmid: l.vmid, ...e }))).onConflict((oc) => oc.doNothing()).execute();
          }
        }
      }
      const row = { fetched_at: fetchedAt, error: l.error ?? null, ...(l.entries && { current_parent: l.currentParent ?? null }), ...(changed && { changed_at: fetchedAt }) };
      await trx
        .insertInto('guest_snapshot_fetches')
        .values({ cluster_id: c.id, vmid: l.vmid, current_parent: null, changed_at: fetchedAt, ...row })
        .onConflict((oc) => oc.columns(['cluster_id', 'vmid']).doUpdateSet(row))
        .execute();
    }
  });
}

export interface GuestSnapshotsSite {
  entries: SnapshotEntryRow[];
  currentParent: string | null;
  fetchedAt: number;
  error: string | null;
}

/** The lists of the guests of one cluster with lo ≤ vmid ≤ hi (a page bucket). */
export async function queryBucketSnapshots(db: Kysely<Database>, clusterId: number, lo: number, hi: number): Promise<Map<number, GuestSnapshotsSite>> {
  const [fetches, entries] = await Promise.all([
    db.selectFrom('guest_snapshot_fetches').selectAll().where('cluster_id', '=', clusterId).where('vmid', '>=', lo).where('vmid', '<=', hi).execute(),
    db.selectFrom('guest_snapshots').selectAll().where('cluster_id', '=', clusterId).where('vmid', '>=', lo).where('vmid', '<=', hi).orderBy('vmid').orderBy('snaptime').execute(),
  ]);
  const out = new Map<number, GuestSnapshotsSite>();
  for (const f of fetches) out.set(f.vmid, { entries: [], currentParent: f.current_parent, fetchedAt: f.fetched_at, error: f.error });
  for (const e of entries) out.get(e.vmid)?.entries.push({ name: e.name, snaptime: e.snaptime, description: e.description, parent: e.parent, vmstate: e.vmstate });
  return out;
}

/** Lists that changed since `since` (cluster id, vmid, when): they refresh their guests' pages. */
export async function querySnapshotChanges(db: Kysely<Database>, since: number): Promise<Array<{ cluster_id: number; vmid: number; changed_at: number }>> {
  return db.selectFrom('guest_snapshot_fetches').select(['cluster_id', 'vmid', 'changed_at']).where('changed_at', '>=', since).execute();
}
