// Reads for the overview's attention list (issue #14 item 1) that the rest of the site does not
// already collect: failed tasks of the last day, guests that stopped without anyone asking, and
// the hourly storage fill the trend ("full within N days") is fitted on. Cheap: all indexed ranges.
import { sql, type Kysely } from 'kysely';
import type { Database } from './schema.ts';

export interface FailedTaskRow {
  upid: string;
  cluster_id: number;
  node: string;
  type: string;
  vmid: number | null;
  starttime: number;
  endtime: number | null;
  status: string | null;
}

export interface UnexplainedStopRow {
  cluster_id: number;
  vmid: number;
  /** When the agent noticed the change to stopped (epoch s). */
  ts: number;
  from_status: string | null;
}

export interface StorageTrendPoint {
  cluster_id: number;
  node: string;
  storage: string;
  ts: number;
  used: number;
  total: number | null;
}

export interface AttentionRows {
  failedTasks: FailedTaskRow[];
  unexplainedStops: UnexplainedStopRow[];
  storageTrend: StorageTrendPoint[];
}

/** Tasks that ended in failure since `since` (by their end, or start while no end is known), newest first. */
export async function queryFailedTasksSince(db: Kysely<Database>, since: number, limit = 200): Promise<FailedTaskRow[]> {
  return db
    .selectFrom('tasks')
    .select(['upid', 'cluster_id', 'node', 'type', 'vmid', 'starttime', 'endtime', 'status'])
    .where('ok', '=', 0)
    .where((eb) => eb.or([eb('endtime', '>=', since), eb.and([eb('endtime', 'is', null), eb('starttime', '>=', since)])]))
    .orderBy('starttime', 'desc')
    .limit(limit)
    .execute();
}

/**
 * Each guest's latest running/paused → stopped change since `since` for which neither an action
 * through the inbox (stop, shutdown, suspend, hibernate) nor a Proxmox stop/shutdown/suspend task
 * started within `windowSeconds` before it was noticed: a crash, an OOM kill, a poweroff inside
 * the guest. The same rule as db/queries/guests-stopped-without-stop-action.sql. The caller keeps
 * only guests that are still stopped.
 */
export async function queryUnexplainedStops(db: Kysely<Database>, since: number, windowSeconds = 600): Promise<UnexplainedStopRow[]> {
  const r = await sql<UnexplainedStopRow>`
    SELECT sc.cluster_id, sc.vmid, sc.ts, sc.from_status
    FROM guest_status_changes sc
    JOIN clusters c ON c.id = sc.cluster_id
    WHERE sc.ts >= ${since} AND sc.to_status = 'stopped' AND sc.from_status IN ('running', 'paused')
      AND sc.ts = (SELECT max(x.ts) FROM guest_status_changes x WHERE x.cluster_id = sc.cluster_id AND x.vmid = sc.vmid)
      AND NOT EXISTS (
        SELECT 1 FROM actions a
        WHERE a.cluster = c.name AND a.vmid = sc.vmid AND a.action IN ('stop', 'shutdown', 'suspend', 'hibernate')
          AND a.received_at BETWEEN sc.ts - ${windowSeconds} AND sc.ts)
      AND NOT EXISTS (
        SELECT 1 FROM tasks t
        WHERE t.cluster_id = sc.cluster_id AND t.vmid = sc.vmid
          AND t.type IN ('qmstop', 'qmshutdown', 'vzstop', 'vzshutdown', 'qmsuspend', 'vzsuspend', 'hibernate', 'vzdump', 'qmigrate', 'vzmigrate', 'qmrestore', 'vzrestore', 'qmdestroy', 'vzdestroy')
          AND t.starttime BETWEEN sc.ts - ${windowSeconds} AND sc.ts)
    ORDER BY sc.ts DESC`.execute(db);
  return r.rows;
}

/** Hourly average fill per storage since `since` (storage_samples_1h), oldest first per storage. */
export async function queryStorageTrendPoints(db: Kysely<Database>, since: number): Promise<StorageTrendPoint[]> {
  const r = await sql<StorageTrendPoint>`
    SELECT cluster_id, node, storage, ts, used_avg AS used, total
    FROM storage_samples_1h
    WHERE ts >= ${since} AND used_avg IS NOT NULL
    ORDER BY cluster_id, node, storage, ts`.execute(db);
  return r.rows;
}

/** The storage trend read last (a week of the hourly tier changes once an hour): kept by its reader between builds. */
export interface StorageTrendCache {
  hour: number;
  rows: StorageTrendPoint[];
}

/**
 * Failed tasks of the last 24 h, unexplained stops of the last 7 days, the 7-day hourly storage
 * fill; the trend is read again only when the hour moved since `trend` was filled.
 */
export async function collectAttentionRows(db: Kysely<Database>, nowSec: number, trend: StorageTrendCache = { hour: -1, rows: [] }): Promise<AttentionRows> {
  const hour = Math.floor(nowSec / 3600);
  const [failedTasks, unexplainedStops, storageTrend] = await Promise.all([
    queryFailedTasksSince(db, nowSec - 86_400),
    queryUnexplainedStops(db, nowSec - 7 * 86_400),
    trend.hour === hour ? trend.rows : queryStorageTrendPoints(db, nowSec - 7 * 86_400),
  ]);
  trend.hour = hour;
  trend.rows = storageTrend;
  return { failedTasks, unexplainedStops, storageTrend };
}
