// The `health` section of the config (issue #15): how often each slower tier runs, how many
// finished vzdump logs a cluster reads per cycle, and the backup RPO overrides.
import { z } from 'zod';

const Seconds = z.number().int().min(5).max(7 * 86_400);

/** How often each signal is read, in seconds (rounded to whole poll cycles, at least one). */
export const HealthEverySeconds = z
  .object({
    backupJobs: Seconds.default(3600),
    backupNotInJob: Seconds.default(1800),
    backupTasks: Seconds.default(3600),
    ha: Seconds.default(900),
    ceph: Seconds.default(1200),
    cephPools: Seconds.default(3600),
    disks: Seconds.default(3600),
    zfs: Seconds.default(1800),
    zfsDetail: Seconds.default(3600),
    lvmThin: Seconds.default(1800),
    replication: Seconds.default(1800),
    aptVersions: Seconds.default(21_600),
    certificates: Seconds.default(21_600),
    /** included_volumes of each backup job (disks excluded from backup). */
    includedVolumes: Seconds.default(21_600),
    /** Proxmox Backup Server datastores (config `pbs`): 1 + 2 per datastore per server. */
    pbs: Seconds.default(3600),
    /** Each guest's snapshot list (1 request per guest; read out of turn after a snapshot task). */
    snapshotLists: Seconds.default(86_400),
    /** Each online node's network from its rrddata (the node status has none): 1 request per node. */
    nodeNetwork: Seconds.default(3600),
  })
  .strict();

export type HealthEverySeconds = z.infer<typeof HealthEverySeconds>;

/** Every health signal read at the same period (the demo, the tests): one entry per key of HealthEverySeconds. */
export function healthEveryAll(seconds: number): HealthEverySeconds {
  return Object.fromEntries(Object.keys(HealthEverySeconds.shape).map((k) => [k, seconds])) as HealthEverySeconds;
}

/** A backup RPO override: the first rule matching a guest wins over the RPO its job's schedule implies. */
export const RpoOverride = z
  .object({
    hours: z.number().positive().max(24 * 400),
    clusters: z.array(z.string()).optional(),
    vmids: z.array(z.number().int().positive()).optional(),
  })
  .strict();

export const HealthConfig = z
  .object({
    /** Read backups, disks, pools, HA, Ceph, replication, certificates and packages. */
    enabled: z.boolean().default(true),
    every: HealthEverySeconds.default(HealthEverySeconds.parse({})),
    /**
     * Finished vzdump task logs read per online node and hour, newest first, each once. A nightly
     * job needs one per node and day; the rest drains a backlog (after the first start) within
     * the request budget.
     */
    logsPerNodePerHour: z.number().min(0).max(100_000).default(2),
    /** How far back vzdump tasks are looked for at start (covers weekly jobs). */
    backupLookbackDays: z.number().int().min(1).max(60).default(8),
    rpoOverrides: z.array(RpoOverride).default([]),
  })
  .strict();

export type HealthConfig = z.infer<typeof HealthConfig>;
export type RpoOverride = z.infer<typeof RpoOverride>;
