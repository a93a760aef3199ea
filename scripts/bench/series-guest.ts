// One guest's series for the series reads of the scale benchmark and pg-series-profile.ts: the
// same rows in both, so a figure of the profile can be set beside the benchmark's.
import type pg from 'pg';
import { queryGuestTierSeries } from '../../agent/store/site-series.repository.ts';
import type { SourceId } from '../../agent/site/encode-series.ts';
import { tierQuery } from '../../agent/site/roll-schedule.ts';
import type { Kysely } from 'kysely';
import type { Database } from '../../agent/store/schema.ts';

export interface GuestKey { cluster_id: number; vmid: number }

/** Every metric present and varying (deterministic in ts, several magnitudes each), as SQL over `t`. */
const VARYING = `0.02 + 0.9 * abs(sin(t / 7919.0)), (2e9 + 1.5e9 * sin(t / 3607.0))::bigint, 30000000000 + (t % 977) * 10000000, (t * 7919) % 10000000, (t * 104729) % 1000000, (t * 1299709) % 5000000, (t * 15485863) % 100000`;

/** 30 days of 5-minute and a year of hourly rollups for guest h, every metric present; errors as text. */
export async function insertSeriesGuest(db: pg.Client | pg.Pool, h: GuestKey, nowSec: number): Promise<string[]> {
  const errors: string[] = [];
  for (const [tier, step, seconds] of [['5m', 300, 30 * 86_400], ['1h', 3600, 366 * 86_400]] as const) {
    await db.query(
      `insert into guest_samples_${tier} (cluster_id, vmid, ts, samples, cpu_avg, mem_avg, disk_avg, netin_avg, netout_avg, diskread_avg, diskwrite_avg)
       select $1, $2, t, 5, ${VARYING} from generate_series($3::bigint, $4::bigint, ${step}) as t on conflict do nothing`,
      [h.cluster_id, h.vmid, Math.floor((nowSec - seconds) / step) * step, nowSec - 3600],
    ).catch((err: unknown) => errors.push(`the ${tier} rows of the series guest could not be inserted (${String(err)})`));
  }
  await db.query('analyze guest_samples_5m');
  await db.query('analyze guest_samples_1h');
  return errors;
}

/** The old figure's guest: 30 days of 5-minute rows, cpu and mem constant, the other metrics null. */
export async function insertMonthGuest(db: pg.Client | pg.Pool, g: GuestKey, nowSec: number): Promise<void> {
  const from = nowSec - 30 * 86_400;
  await db.query(
    `insert into guest_samples_5m (cluster_id, vmid, ts, samples, cpu_avg, cpu_max, mem_avg, mem_max)
     select $1, $2, t, 5, 0.2, 0.4, 1e9, 2e9 from generate_series($3::bigint, $4::bigint, 300) as t on conflict do nothing`,
    [g.cluster_id, g.vmid, Math.floor(from / 300) * 300, nowSec - 3600],
  );
  await db.query('analyze guest_samples_5m');
}

const points = (e: { i: string } | undefined) => (e && e.i !== '' ? e.i.split(',').length : 0);

/** The site's reads of guest h's stored sources, one after the other as the site does; returns the points read. */
export async function readSources(db: Kysely<Database>, h: GuestKey, sources: Array<Exclude<SourceId, 'raw'>>, nowSec: number): Promise<number> {
  let n = 0;
  for (const src of sources) n += points((await queryGuestTierSeries(db, h.cluster_id, h.vmid, h.vmid, tierQuery(src, nowSec)))[0]);
  return n;
}

/** The earlier figure's read: guest g's 30 days of 5-minute points at step 300 s. */
export async function readMonth(db: Kysely<Database>, g: GuestKey, nowSec: number): Promise<number> {
  return points((await queryGuestTierSeries(db, g.cluster_id, g.vmid, g.vmid, { tier: '5m', from: nowSec - 30 * 86_400, group: 300 }))[0]);
}

/** The 30-day chart's stored sources (encode-series.ts RANGES '30d': long.m, day) and every stored source. */
export const CHART_30D: Array<Exclude<SourceId, 'raw'>> = ['long.m', 'day'];
export const ALL_SOURCES: Array<Exclude<SourceId, 'raw'>> = ['day', 'long.w', 'long.m', 'long.y'];
