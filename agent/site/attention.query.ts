// Collect-stage reads of the attention list (issue #14 item 1), one function so the hook-up into
// the site engine is one line. The storage trend reads a week of the hourly tier, which changes
// once an hour: it is read again only when the hour moved (per database handle).
import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.ts';
import { queryFailedTasksSince, queryStorageTrendPoints, queryUnexplainedStops, type AttentionRows, type StorageTrendPoint } from '../store/site-attention.repository.ts';

const trendCache = new WeakMap<Kysely<Database>, { hour: number; rows: StorageTrendPoint[] }>();

/** Failed tasks of the last 24 h, unexplained stops of the last 7 days, the 7-day hourly storage fill. */
export async function collectAttentionRows(db: Kysely<Database>, nowSec: number): Promise<AttentionRows> {
  const hour = Math.floor(nowSec / 3600);
  const cached = trendCache.get(db);
  const [failedTasks, unexplainedStops, storageTrend] = await Promise.all([
    queryFailedTasksSince(db, nowSec - 86_400),
    queryUnexplainedStops(db, nowSec - 7 * 86_400),
    cached && cached.hour === hour ? cached.rows : queryStorageTrendPoints(db, nowSec - 7 * 86_400),
  ]);
  trendCache.set(db, { hour, rows: storageTrend });
  return { failedTasks, unexplainedStops, storageTrend };
}
