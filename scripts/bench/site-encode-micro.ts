// Profiling aid (not part of `npm run bench`): what reading one cluster's day tier (5-minute rows,
// 24 h) costs, by how the numbers are turned into text. `scan` only reads the rows; `printf` is
// what site-series.repository.ts does (3 significant digits, comma-joined per guest by SQLite);
// `int` and `plain` format without printf; `rows` hands typed rows to JS (better-sqlite3 raw
// arrays) and encodes them there with sig3. Measured 2026-12-07 at 5,000 guests under load 7:
// scan 0.6 s, printf 2.4–3.7 s, int 1.5–2.2 s, plain 1.3–2.6 s, rows 4.3–5.8 s: the per-row cost
// of better-sqlite3 outweighs what printf costs, so the encoding stays in SQL.
//   node --max-semi-space-size=2 --heap-growing-percent=20 --v8-pool-size=1 --import tsx scripts/bench/site-encode-micro.ts 5000
import { sig3 } from '../../agent/site/encode-series.ts';
import { makeSynthetic } from './site.bench.ts';

const syn = await makeSynthetic(Number(process.argv[2] ?? 5000));
syn.store.sqlite.pragma('wal_checkpoint(TRUNCATE)');
const from = Math.floor((syn.now - 86_400) / 300) * 300;
const FROM = `FROM guests g JOIN guest_samples_5m s ON s.cluster_id = g.cluster_id AND s.vmid = g.vmid AND s.ts >= ? WHERE g.cluster_id = ? AND g.vmid >= ? AND g.vmid <= ? AND g.removed_at IS NULL`;
const cols = ['s.cpu_avg * 100', 's.mem_avg', 's.disk_avg', 's.netin_avg', 's.netout_avg', 's.diskread_avg', 's.diskwrite_avg'];
const variants: Record<string, string> = {
  scan: `SELECT count(*), sum(s.cpu_avg + s.mem_avg + s.disk_avg + s.netin_avg + s.netout_avg + s.diskread_avg + s.diskwrite_avg) ${FROM}`,
  printf: `SELECT g.vmid, group_concat(s.ts), ${cols.map((c) => `group_concat(coalesce(printf('%.3g', ${c}), 'null'))`).join(',')} ${FROM} GROUP BY g.vmid ORDER BY g.vmid`,
  int: `SELECT g.vmid, group_concat(s.ts), ${cols.map((c) => `group_concat(coalesce(cast(round(${c}) as integer), 'null'))`).join(',')} ${FROM} GROUP BY g.vmid ORDER BY g.vmid`,
  plain: `SELECT g.vmid, group_concat(s.ts), ${cols.map((c) => `group_concat(${c})`).join(',')} ${FROM} GROUP BY g.vmid ORDER BY g.vmid`,
};
const rows = syn.store.sqlite.prepare(`SELECT s.vmid, s.ts, ${cols.join(', ')} ${FROM} ORDER BY g.vmid, s.ts`).raw(true);
for (let rep = 0; rep < 2; rep++) {
  for (const [name, q] of Object.entries(variants)) {
    const st = syn.store.sqlite.prepare(q).raw(true);
    const t0 = performance.now();
    let n = 0;
    for (let b = 1; b <= 50; b++) n += (st.all(from, 1, b * 100, b * 100 + 99) as unknown[][]).length;
    console.log(name, Math.round(performance.now() - t0), 'ms', n);
  }
  const t0 = performance.now();
  let chars = 0;
  for (let b = 1; b <= 50; b++) {
    for (const r of rows.iterate(from, 1, b * 100, b * 100 + 99) as Iterable<number[]>) for (let k = 2; k < 9; k++) chars += sig3(r[k]).length;
  }
  console.log('rows', Math.round(performance.now() - t0), 'ms', chars);
}
await syn.dispose();
