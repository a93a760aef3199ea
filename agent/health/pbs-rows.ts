// Proxmox Backup Server answers → rows (#15, optional PBS). Pure. Shapes from pbs-api-types
// (datastore.rs: GroupListItem, SnapshotListItem; see the source note in scripts/pve-sim/pbs-sim.ts).
import { z } from 'zod';

export const PbsStoreItem = z.object({ store: z.string(), comment: z.string().optional() });
export const PbsGroupItem = z.object({
  'backup-type': z.string(),
  'backup-id': z.string(),
  'last-backup': z.number().optional(),
  'backup-count': z.number().optional(),
  owner: z.string().optional(),
});
export const PbsSnapshotItem = z.object({
  'backup-type': z.string(),
  'backup-id': z.string(),
  'backup-time': z.number(),
  size: z.number().optional(),
  verification: z.object({ state: z.string(), upid: z.string().optional() }).optional(),
});
export type PbsGroupItem = z.infer<typeof PbsGroupItem>;
export type PbsSnapshotItem = z.infer<typeof PbsSnapshotItem>;

export interface PbsGroupRow {
  backupType: string;
  backupId: string;
  lastBackup: number | null;
  backupCount: number | null;
  /** Of the newest snapshot. */
  lastSizeBytes: number | null;
  /** The newest snapshot's verification: ok | failed | null (never verified). */
  verifyState: string | null;
  verifyUpid: string | null;
  owner: string | null;
}

/** Joins a datastore's groups with the newest snapshot of each. */
export function mapPbsGroups(groups: readonly PbsGroupItem[], snapshots: readonly PbsSnapshotItem[]): PbsGroupRow[] {
  const newest = new Map<string, PbsSnapshotItem>();
  for (const s of snapshots) {
    const k = `${s['backup-type']}/${s['backup-id']}`;
    const cur = newest.get(k);
    if (!cur || s['backup-time'] > cur['backup-time']) newest.set(k, s);
  }
  return groups.map((g) => {
    const s = newest.get(`${g['backup-type']}/${g['backup-id']}`);
    return {
      backupType: g['backup-type'], backupId: g['backup-id'], lastBackup: g['last-backup'] ?? s?.['backup-time'] ?? null,
      backupCount: g['backup-count'] ?? null, lastSizeBytes: s?.size ?? null, verifyState: s?.verification?.state ?? null,
      verifyUpid: s?.verification?.upid ?? null, owner: g.owner ?? null,
    };
  });
}
