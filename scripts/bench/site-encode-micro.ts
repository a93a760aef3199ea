// Scratch micro-benchmark (not part of `npm run bench`): what the day-tier read of one cluster
// costs in SQLite: the scan, printf('%.3g'), integer formatting.
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
  round: `SELECT g.vmid, group_concat(s.ts), ${cols.map((c) => `group_concat(coalesce(iif(abs(${c}) < 100 AND abs(${c}) >= 10, round(${c}, 1), iif(abs(${c}) < 10 AND abs(${c}) >= 1, round(${c}, 2), printf('%.3g', ${c}))), 'null'))`).join(',')} ${FROM} GROUP BY g.vmid ORDER BY g.vmid`,
  plain: `SELECT g.vmid, group_concat(s.ts), ${cols.map((c) => `group_concat(${c})`).join(',')} ${FROM} GROUP BY g.vmid ORDER BY g.vmid`,
};
for (let rep = 0; rep < 2; rep++) {
  for (const [name, q] of Object.entries(variants)) {
    const st = syn.store.sqlite.prepare(q).raw(true);
    const t0 = performance.now();
    let n = 0;
    for (let b = 1; b <= 50; b++) n += (st.all(from, 1, b * 100, b * 100 + 99) as unknown[][]).length;
    console.log(name, Math.round(performance.now() - t0), 'ms', n);
  }
}
await syn.dispose();
