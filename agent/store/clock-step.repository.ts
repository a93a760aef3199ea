// A backward clock step (NTP correcting a clock that ran ahead) seen by the store (issue 12 item 8).
import type { Transaction } from 'kysely';
import type { Database } from './schema.ts';
import { lowerStateNumber } from './agent-state.repository.ts';
import { rollupWatermarkKey } from './maintenance.ts';

/**
 * Called in a cluster's write transaction before its cycle is stored. When the cycle's ts is not
 * after the cluster's last stored sample, the clock went back: the raw rows stamped at or after ts
 * came from the clock that ran ahead. They are removed (they would shadow this and later cycles:
 * same keys, and the *_latest views would keep showing them), and the rollup watermarks are
 * lowered to ts's hour so the windows they were rolled into are rolled again from what is left.
 * Returns how far back the clock went (0 when it did not).
 */
export async function undoClockAhead(trx: Transaction<Database>, cluster: string, ts: number): Promise<number> {
  const row = await trx.selectFrom('clusters').select(['id', 'last_sample_ts']).where('name', '=', cluster).executeTakeFirst();
  if (!row || row.last_sample_ts === null || row.last_sample_ts < ts) return 0;
  for (const table of ['guest_samples', 'node_samples', 'storage_samples'] as const) {
    await trx.deleteFrom(table).where('ts', '>=', ts).where('cluster_id', '=', row.id).execute();
  }
  const hour = Math.floor(ts / 3600) * 3600;
  for (const kind of ['guest', 'node', 'storage'] as const) await lowerStateNumber(trx, rollupWatermarkKey(kind), hour, ts);
  return row.last_sample_ts - ts;
}
