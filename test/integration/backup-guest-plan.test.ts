// v_backup_guest (migration 0145): the same rows as 0066's view on both backends, over guests in a
// job, in two jobs, left out of every job, in a cluster without jobs, with good and failed runs,
// templates and removed guests; and on SQLite a plan without an automatic index over backup_runs.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as m0145 from '../../db/migrations/2026-12-07-0145-backup-guest-plan.ts';
import { STORE_BACKENDS, openTestStore, type TestStore } from '../support/store-backends.ts';

const T = 1_796_000_000;

async function fill(s: TestStore) {
  const db = s.db;
  for (const name of ['lab', 'nojobs']) await sql`insert into clusters (name, first_seen, last_ok_at, last_sample_ts) values (${name}, ${T}, ${T}, ${T})`.execute(db);
  const ids = new Map((await sql<{ id: number; name: string }>`select id, name from clusters`.execute(db)).rows.map((r) => [r.name, Number(r.id)]));
  const lab = ids.get('lab')!;
  const guest = (c: number, vmid: number, extra: { template?: number; removed?: number } = {}) =>
    sql`insert into guests (cluster_id, vmid, type, node, name, status, template, maxcpu, maxmem, maxdisk, first_seen, changed_at, removed_at)
        values (${c}, ${vmid}, 'qemu', 'pve1', ${`g${vmid}`}, 'running', ${extra.template ?? 0}, 1, 1, 1, ${T}, ${T}, ${extra.removed ?? null})`.execute(db);
  for (let v = 100; v < 130; v++) await guest(lab, v);
  await guest(lab, 130, { template: 1 });
  await guest(lab, 131, { removed: T - 10 });
  await guest(ids.get('nojobs')!, 100);
  await guest(ids.get('nojobs')!, 101);
  for (const [job, rpo] of [['daily', 172_800], ['weekly', 691_200]] as const) {
    await sql`insert into backup_jobs (cluster_id, job_id, enabled, rpo_s, first_seen, last_seen) values (${lab}, ${job}, 1, ${rpo}, ${T}, ${T})`.execute(db);
  }
  for (let v = 100; v < 132; v++) {
    if (v % 7 === 0) {
      await sql`insert into backup_not_in_job (cluster_id, vmid, name, type, first_seen, last_seen) values (${lab}, ${v}, 'x', 'qemu', ${T}, ${T})`.execute(db);
      continue;
    }
    if (v % 5 === 4) continue; // neither in a job nor listed as left out
    await sql`insert into backup_guest_jobs (cluster_id, vmid, job_id, rpo_s) values (${lab}, ${v}, 'daily', ${v % 3 === 0 ? null : 172_800})`.execute(db);
    if (v % 2 === 0) await sql`insert into backup_guest_jobs (cluster_id, vmid, job_id, rpo_s) values (${lab}, ${v}, 'weekly', 691200)`.execute(db);
    // Runs: none for v % 6 === 1; only failures for v % 6 === 2; else days of runs, some failed, the newest good one old for v % 4 === 0.
    if (v % 6 === 1) continue;
    for (let d = 1; d <= 5; d++) {
      const end = T - d * 86_400 - (v % 4 === 0 ? 5 * 86_400 : 0);
      const ok = v % 6 === 2 ? 0 : (v + d) % 3 === 0 ? 0 : 1;
      await sql`insert into backup_runs (cluster_id, upid, vmid, node, starttime, endtime, duration_s, ok, error, size_bytes, storage)
                values (${lab}, ${`UPID:${v}:${d}`}, ${v}, 'pve1', ${end - 300}, ${end}, 300, ${ok}, ${ok ? null : `failed ${d}`}, ${1e9 + d}, 'pbs')`.execute(db);
    }
  }
}

type Row = Record<string, unknown>;
const read = async (s: TestStore): Promise<Row[]> =>
  (await sql<Row>`select * from v_backup_guest order by cluster, vmid`.execute(s.db)).rows.map((r) => ({
    ...r,
    // The order of a guest's jobs in the list is not defined (string_agg on PostgreSQL).
    jobs: typeof r.jobs === 'string' ? r.jobs.split(',').sort().join(',') : r.jobs,
  }));

describe.each(STORE_BACKENDS)('v_backup_guest of migration 0145 (%s)', (backend) => {
  let s: TestStore;
  beforeAll(async () => {
    s = await openTestStore(backend);
    await fill(s);
  });
  afterAll(async () => {
    await s?.close();
  });

  it('gives the rows of 0066\'s view, every status among them', async () => {
    const now = await read(s);
    await m0145.down(s.db);
    const before = await read(s);
    await m0145.up(s.db);
    expect(now).toEqual(before);
    expect(now).toHaveLength(32);
    expect(new Set(now.map((r) => r.status))).toEqual(new Set(['ok', 'overdue', 'never', 'no_job', 'unknown']));
    expect(now.filter((r) => r.last_fail_end !== null).length).toBeGreaterThan(5);
    expect(now.some((r) => typeof r.jobs === 'string' && r.jobs.includes(','))).toBe(true);
  });

  it.runIf(backend === 'sqlite')('finds the newest runs through backup_runs_ok_guest, with no automatic index', async () => {
    const { rows } = await sql<{ detail: string }>`explain query plan select * from v_backup_guest order by cluster, vmid`.execute(s.db);
    const plan = rows.map((r) => r.detail).join('\n');
    expect(plan).toMatch(/backup_runs_ok_guest/);
    expect(plan).not.toMatch(/AUTOMATIC[^\n]*\b(ok|bad|r)\b \(/);
    expect(plan).not.toMatch(/SEARCH (ok|bad) USING AUTOMATIC/);
  });
});
