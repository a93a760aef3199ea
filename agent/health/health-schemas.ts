// zod schemas of the health endpoints (../shared/pve-health-api.md; shapes read from the Proxmox
// sources, see scripts/pve-sim/routes/health-routes.ts). Tolerant like agent/pve/pve-schemas.ts:
// numbers may come as strings, booleans as 0/1, unknown fields are ignored, lists are checked
// item by item with parseItems so one odd entry costs only that entry.
import { z } from 'zod';
import { Bool01, Num } from '../pve/pve-schemas.ts';

const opt = <T extends z.ZodType>(t: T) => t.optional().catch(undefined);
const OptNum = opt(Num);
const OptStr = opt(z.coerce.string());
const OptBool = opt(Bool01);

/** GET /cluster/backup entry. */
export const BackupJobItem = z.object({
  id: z.coerce.string(),
  type: OptStr,
  schedule: OptStr,
  /** Before PVE 7.1 jobs had starttime + dow instead of a schedule. */
  starttime: OptStr,
  dow: OptStr,
  storage: OptStr,
  mode: OptStr,
  enabled: OptBool,
  all: OptBool,
  vmid: OptStr,
  pool: OptStr,
  exclude: OptStr,
  node: OptStr,
  comment: OptStr,
  'next-run': OptNum,
});
export type BackupJobItem = z.infer<typeof BackupJobItem>;

/** GET /cluster/backup/{id}/included_volumes. */
export const IncludedVolumes = z.object({
  children: z.array(
    z.object({
      id: Num,
      name: OptStr,
      type: OptStr,
      children: opt(z.array(z.object({ id: z.coerce.string(), name: OptStr, included: OptBool, reason: OptStr }))),
    }),
  ),
});

/** GET /cluster/backup-info/not-backed-up entry. */
export const NotBackedUpItem = z.object({ vmid: Num, name: OptStr, type: OptStr });

/** GET /nodes/{node}/tasks entry (vzdump). */
export const NodeTaskItem = z.object({
  upid: z.string(),
  node: z.coerce.string(),
  type: z.string(),
  id: OptStr,
  starttime: Num,
  endtime: OptNum,
  status: OptStr,
});

/** GET /nodes/{node}/tasks/{upid}/log line. */
export const TaskLogLine = z.object({ n: Num, t: z.coerce.string() });

/** GET /nodes/{node}/disks/list entry; `wearout` is percent REMAINING or 'N/A'. */
export const DiskItem = z.object({
  devpath: z.string(),
  type: OptStr,
  model: OptStr,
  serial: OptStr,
  vendor: OptStr,
  wwn: OptStr,
  size: OptNum,
  rpm: OptNum,
  used: OptStr,
  health: OptStr,
  wearout: z.unknown().optional(),
});
export type DiskItem = z.infer<typeof DiskItem>;

/** GET /nodes/{node}/disks/zfs entry. */
export const ZfsPoolItem = z.object({ name: z.coerce.string(), size: OptNum, alloc: OptNum, free: OptNum, frag: OptNum, dedup: OptNum, health: OptStr });
export type ZfsPoolItem = z.infer<typeof ZfsPoolItem>;

interface Vdev {
  name?: string;
  state?: string;
  read?: number;
  write?: number;
  cksum?: number;
  leaf?: boolean;
  children?: Vdev[];
}
const VdevSchema: z.ZodType<Vdev> = z.lazy(() =>
  z.object({ name: OptStr, state: OptStr, read: OptNum, write: OptNum, cksum: OptNum, leaf: OptBool, children: opt(z.array(VdevSchema)) }),
);

/** GET /nodes/{node}/disks/zfs/{name}. */
export const ZfsPoolDetail = z.object({ name: z.coerce.string(), state: OptStr, status: OptStr, action: OptStr, scan: OptStr, errors: OptStr, children: opt(z.array(VdevSchema)) });
export type ZfsPoolDetail = z.infer<typeof ZfsPoolDetail>;

/** GET /nodes/{node}/disks/lvmthin entry. */
export const ThinPoolItem = z.object({ lv: z.coerce.string(), vg: z.coerce.string(), lv_size: OptNum, used: OptNum, metadata_size: OptNum, metadata_used: OptNum });
export type ThinPoolItem = z.infer<typeof ThinPoolItem>;

/** GET /cluster/ha/status/current entry. */
export const HaStatusItem = z.object({
  id: z.coerce.string(),
  type: z.string(),
  node: OptStr,
  status: OptStr,
  quorate: OptBool,
  timestamp: OptNum,
  sid: OptStr,
  state: OptStr,
  crm_state: OptStr,
  request_state: OptStr,
});
export type HaStatusItem = z.infer<typeof HaStatusItem>;

/** GET /cluster/ceph/status: the parts we keep of `ceph -s`. Before Pacific, osdmap was nested once more. */
export const CephStatus = z.object({
  health: z.object({
    status: z.string(),
    checks: opt(z.record(z.string(), z.object({ severity: OptStr, summary: opt(z.object({ message: OptStr, count: OptNum })) }))),
  }),
  osdmap: opt(z.object({ num_osds: OptNum, num_up_osds: OptNum, num_in_osds: OptNum, osdmap: opt(z.object({ num_osds: OptNum, num_up_osds: OptNum, num_in_osds: OptNum })) })),
  pgmap: opt(z.object({ num_pgs: OptNum, bytes_used: OptNum, bytes_total: OptNum })),
});
export type CephStatus = z.infer<typeof CephStatus>;

/** GET /nodes/{node}/ceph/pool entry (older: /ceph/pools). */
export const CephPoolItem = z.object({ pool: OptNum, pool_name: z.coerce.string(), size: OptNum, min_size: OptNum, bytes_used: OptNum, percent_used: OptNum, max_avail: OptNum });

/** GET /nodes/{node}/replication entry. */
export const ReplicationItem = z.object({
  id: z.coerce.string(),
  guest: OptNum,
  source: OptStr,
  target: OptStr,
  schedule: OptStr,
  last_sync: OptNum,
  last_try: OptNum,
  next_sync: OptNum,
  duration: OptNum,
  fail_count: OptNum,
  error: OptStr,
});
export type ReplicationItem = z.infer<typeof ReplicationItem>;

/** GET /nodes/{node}/certificates/info entry. */
export const CertificateItem = z.object({
  filename: z.coerce.string(),
  subject: OptStr,
  issuer: OptStr,
  notbefore: OptNum,
  notafter: OptNum,
  fingerprint: OptStr,
  san: opt(z.array(z.coerce.string())),
});
export type CertificateItem = z.infer<typeof CertificateItem>;

/** GET /nodes/{node}/apt/versions entry. */
export const AptVersionItem = z.object({
  Package: z.coerce.string(),
  Version: OptStr,
  OldVersion: OptStr,
  CurrentState: OptStr,
  RunningKernel: OptStr,
  ManagerVersion: OptStr,
});
export type AptVersionItem = z.infer<typeof AptVersionItem>;
