// Writes captured simulator responses to test/fixtures/pve/pve{7,8,9}/ for the mapper tests:
//   tsx scripts/pve-sim/capture-fixtures.ts [outDir]
// Fixed seed and clock, so re-running produces identical files (review diffs field by field
// against pve-api.md before committing).
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startSimulator } from './index.ts';
import { simRequest, tokenHeader } from './sim-client.ts';

const NOW = Date.UTC(2026, 10, 27, 12, 0, 0);
const outRoot = process.argv[2] ?? 'test/fixtures/pve';

async function capture(pve: 7 | 8 | 9): Promise<void> {
  const clock = { now: NOW };
  const sim = await startSimulator({ seed: 1, pveVersion: pve, now: () => clock.now, authFailDelayMs: 1, taskTimeScale: 1 });
  const base = sim.clusters[0]!.endpoints[0]!.url;
  const auth = tokenHeader(sim.tokenId, sim.tokenSecret);
  const dir = join(outRoot, `pve${pve}`);
  await mkdir(dir, { recursive: true });
  const save = async (file: string, path: string, method = 'GET') => {
    const r = await simRequest(base, path, { auth, method });
    if (r.status !== 200) throw new Error(`${path}: ${r.status} ${r.reason}`);
    await writeFile(join(dir, file), `${JSON.stringify(r.json, null, 1)}\n`);
    return r.json as { data: unknown };
  };
  const guests = [...sim.world.clusters[0]!.guests.values()];
  const vm = guests.find((g) => g.type === 'qemu' && g.qmpstatus === 'running' && g.hastate === undefined && !g.ignoresAcpi)!;
  const ct = guests.find((g) => g.type === 'lxc' && g.status === 'running' && g.hastate === undefined && g.lock === undefined)!;

  await save('version.json', '/version');
  await save('cluster-status.json', '/cluster/status');
  await save('cluster-resources.json', '/cluster/resources');
  await save('nodes.json', '/nodes');
  await save('node-status.json', '/nodes/pve1/status');
  await save('node-storage.json', '/nodes/pve1/storage');
  await save('node-qemu.json', `/nodes/${vm.node}/qemu`);
  await save('node-lxc.json', `/nodes/${ct.node}/lxc`);
  await save('qemu-status-current.json', `/nodes/${vm.node}/qemu/${vm.vmid}/status/current`);
  await save('lxc-status-current.json', `/nodes/${ct.node}/lxc/${ct.vmid}/status/current`);
  await save('node-rrddata-hour.json', '/nodes/pve1/rrddata?timeframe=hour');
  await save('qemu-rrddata-hour.json', `/nodes/${vm.node}/qemu/${vm.vmid}/rrddata?timeframe=hour`);

  const started = await save('lifecycle-post-shutdown.json', `/nodes/${vm.node}/qemu/${vm.vmid}/status/shutdown`, 'POST');
  const upid = encodeURIComponent(started.data as string);
  await save('task-status-running.json', `/nodes/${vm.node}/tasks/${upid}/status`);
  const failing = await simRequest(base, `/nodes/${vm.node}/qemu/${vm.vmid}/status/start`, { auth, method: 'POST' });
  clock.now += 20_000;
  await save('task-status-stopped-ok.json', `/nodes/${vm.node}/tasks/${upid}/status`);
  await save('task-log-ok.json', `/nodes/${vm.node}/tasks/${upid}/log`);
  // A start issued while the VM was still running fails inside the worker.
  await save('task-status-stopped-error.json', `/nodes/${vm.node}/tasks/${encodeURIComponent((failing.json as { data: string }).data)}/status`);
  await save('cluster-tasks.json', '/cluster/tasks');
  if (pve !== 7) await save('cluster-metrics-export.json', '/cluster/metrics/export?node-list=pve1');

  sim.faults.set({ cluster: 'cluster1', node: 'pve3' }, { kind: 'offline' });
  clock.now += 10_000;
  await save('cluster-resources-node-offline.json', '/cluster/resources');
  clock.now += 6 * 60_000;
  await save('cluster-resources-node-offline-expired.json', '/cluster/resources');
  await save('cluster-status-node-offline.json', '/cluster/status');
  await sim.stop();

  const standalone = await startSimulator({ seed: 1, pveVersion: pve, standalone: true, guests: 5, now: () => NOW, authFailDelayMs: 1 });
  const r = await simRequest(standalone.clusters[0]!.endpoints[0]!.url, '/cluster/status', { auth: tokenHeader(standalone.tokenId, standalone.tokenSecret) });
  await writeFile(join(dir, 'cluster-status-standalone.json'), `${JSON.stringify(r.json, null, 1)}\n`);
  await standalone.stop();
}

for (const v of [7, 8, 9] as const) await capture(v);
process.stdout.write(`fixtures written to ${outRoot}/pve{7,8,9}\n`);
