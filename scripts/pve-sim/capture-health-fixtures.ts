// Writes captured simulator answers of the health endpoints (issue #15) to
// test/fixtures/pve/pve{7,8,9}/health/ for the mapper tests:
//   tsx scripts/pve-sim/capture-health-fixtures.ts [outDir]
// Fixed seed and clock: re-running gives identical files. Kept apart from capture-fixtures.ts so
// re-capturing these leaves the other fixtures untouched.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startSimulator } from './index.ts';
import { simRequest, tokenHeader } from './sim-client.ts';

const NOW = Date.UTC(2026, 11, 7, 9, 30, 0);
const outRoot = process.argv[2] ?? 'test/fixtures/pve';

async function capture(pve: 7 | 8 | 9): Promise<void> {
  const sim = await startSimulator({ seed: 1, pveVersion: pve, now: () => NOW, authFailDelayMs: 1 });
  const base = sim.clusters[0]!.endpoints[0]!.url;
  const auth = tokenHeader(sim.tokenId, sim.tokenSecret);
  const dir = join(outRoot, `pve${pve}`, 'health');
  await mkdir(dir, { recursive: true });
  const save = async (file: string, path: string) => {
    const r = await simRequest(base, path, { auth });
    if (r.status !== 200) throw new Error(`${path}: ${r.status} ${r.reason}`);
    await writeFile(join(dir, file), `${JSON.stringify(r.json, null, 1)}\n`);
    return r.json as { data: unknown };
  };
  const jobs = (await save('cluster-backup.json', '/cluster/backup')).data as Array<{ id: string }>;
  await save('backup-included-volumes.json', `/cluster/backup/${encodeURIComponent(jobs[0]!.id)}/included_volumes`);
  await save('backup-not-backed-up.json', '/cluster/backup-info/not-backed-up');
  const tasks = (await save('node-tasks-vzdump.json', '/nodes/pve2/tasks?typefilter=vzdump&source=archive&limit=0')).data as Array<{ upid: string; id: string }>;
  await save('task-log-vzdump-job.json', `/nodes/pve2/tasks/${encodeURIComponent(tasks.find((t) => t.id === '')!.upid)}/log?limit=0`);
  await save('disks-list.json', '/nodes/pve2/disks/list');
  await save('disks-zfs.json', '/nodes/pve2/disks/zfs');
  await save('disks-zfs-detail.json', '/nodes/pve2/disks/zfs/tank');
  await save('disks-lvmthin.json', '/nodes/pve1/disks/lvmthin');
  await save('ha-status-current.json', '/cluster/ha/status/current');
  await save('ceph-status.json', '/cluster/ceph/status');
  await save('ceph-pool.json', '/nodes/pve1/ceph/pool');
  await save('replication.json', `/nodes/${sim.world.clusters[0]!.health!.replication[0]!.source}/replication`);
  await save('certificates-info.json', '/nodes/pve1/certificates/info');
  await save('apt-versions.json', '/nodes/pve3/apt/versions');
  await sim.stop();
}

for (const v of [7, 8, 9] as const) await capture(v);
process.stdout.write(`health fixtures written to ${outRoot}/pve{7,8,9}/health\n`);
