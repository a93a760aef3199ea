// Synthetic cluster snapshots for the store's tests and benchmark: deterministic for (vmid, ts),
// shaped like what the poller produces (some guests stopped, one template per 50, lxc and qemu).
import type { ClusterSnapshot, GuestState, NodeState, StorageState, TaskRecord } from '../../agent/poll/cluster-snapshot.ts';

export interface SyntheticOptions {
  cluster?: string;
  /** Epoch seconds. */
  ts: number;
  guests: number;
  nodes?: number;
  /** Every n-th guest is stopped (0 = none). */
  stoppedEvery?: number;
  /** Guests whose vmid is in this set are reported stopped (to simulate status changes). */
  stopped?: ReadonlySet<number>;
  /** Recent tasks to include. */
  tasks?: TaskRecord[];
  firstVmid?: number;
}

/** A cheap deterministic hash → [0, 1). */
export function noise(a: number, b: number): number {
  let h = (a * 374761393 + b * 668265263) | 0;
  h = Math.imul(h ^ (h >>> 13), 1274126177);
  h ^= h >>> 16;
  return (h >>> 0) / 4294967296;
}

/** One cluster snapshot at `ts` with `guests` guests spread over `nodes` nodes. */
export function syntheticSnapshot(o: SyntheticOptions): ClusterSnapshot {
  const nodeCount = o.nodes ?? 3;
  const stoppedEvery = o.stoppedEvery ?? 5;
  const first = o.firstVmid ?? 100;
  const nodes: NodeState[] = Array.from({ length: nodeCount }, (_, i) => ({
    node: `pve${i + 1}`, status: 'online', nodeid: i + 1, ip: `10.0.0.${i + 1}`, level: '', maxcpu: 64,
    uptime: 1_000_000 + o.ts, cpu: 0.2 + 0.5 * noise(i, o.ts), iowait: 0.01 + 0.05 * noise(o.ts, i + 7), load1: 4 + 8 * noise(i, o.ts + 1),
    load5: 5, load15: 5, memTotal: 512 * 2 ** 30, memUsed: (200 + 100 * noise(i, o.ts)) * 2 ** 30, memAvailable: 250 * 2 ** 30,
    swapTotal: 8 * 2 ** 30, swapUsed: 2 ** 28, rootfsTotal: 100 * 2 ** 30, rootfsUsed: 20 * 2 ** 30 + i * 2 ** 20,
    netinBps: 1e6 * noise(i, o.ts + 2), netoutBps: 2e6 * noise(i, o.ts + 3), cpuModel: 'AMD EPYC 7543', kernel: '6.8.12-4-pve',
    pveVersion: 'pve-manager/8.3.1/fb48e850ef9dde27', hastate: null,
  }));
  const guests: GuestState[] = [];
  for (let k = 0; k < o.guests; k++) {
    const vmid = first + k;
    const template = k % 50 === 49;
    const stopped = template || (stoppedEvery > 0 && k % stoppedEvery === stoppedEvery - 1) || (o.stopped?.has(vmid) ?? false);
    const type = k % 3 === 0 ? 'lxc' : 'qemu';
    const run = !stopped;
    const n = noise(vmid, o.ts);
    guests.push({
      vmid, type, node: `pve${(k % nodeCount) + 1}`, name: `guest-${vmid}`, status: stopped ? 'stopped' : 'running',
      template, tags: k % 4 === 0 ? ['prod', 'web'] : [], pool: k % 10 === 0 ? 'prod' : null, lock: null, hastate: null,
      uptime: run ? 86_400 + o.ts - 1_700_000_000 : 0, cpu: run ? 0.02 + 0.6 * n * n : 0, maxcpu: 4,
      mem: run ? Math.round(2 ** 30 * (1 + n)) : 0, maxmem: 4 * 2 ** 30, memhost: run ? Math.round(2 ** 30 * (1.2 + n)) : null,
      disk: type === 'lxc' && run ? 3 * 2 ** 30 + vmid * 4096 : 0, maxdisk: 32 * 2 ** 30,
      counters: { netin: null, netout: null, diskread: null, diskwrite: null },
      netinBps: run ? Math.round(50_000 * n) : null, netoutBps: run ? Math.round(80_000 * noise(o.ts, vmid)) : null,
      diskreadBps: run ? Math.round(10_000 * n) : null, diskwriteBps: run ? Math.round(40_000 * noise(vmid + 1, o.ts)) : null,
    });
  }
  const storages: StorageState[] = [];
  for (const nd of nodes) {
    storages.push({ node: nd.node, storage: 'local', type: 'dir', content: 'iso,vztmpl,backup', shared: false, status: 'available', used: 30 * 2 ** 30 + (o.ts % 86_400) * 1000, total: 100 * 2 ** 30 });
    storages.push({ node: nd.node, storage: 'local-lvm', type: 'lvmthin', content: 'images,rootdir', shared: false, status: 'available', used: 400 * 2 ** 30 + Math.round((o.ts - 1_700_000_000) * 50), total: 1024 * 2 ** 30 });
    // A backup disk growing 1 % of its size per day (sawtooth over 40 days): the "fills soon" case.
    const backupTotal = 2 * 2 ** 40;
    storages.push({ node: nd.node, storage: 'backup', type: 'dir', content: 'backup', shared: false, status: 'available', used: Math.round(backupTotal * (0.55 + ((o.ts % (40 * 86_400)) / 86_400) * 0.01)), total: backupTotal });
    storages.push({ node: nd.node, storage: 'ceph', type: 'rbd', content: 'images', shared: true, status: 'available', used: 10 * 2 ** 40, total: 30 * 2 ** 40 });
  }
  return {
    cluster: o.cluster ?? 'lab', ts: o.ts, endpoint: 'https://10.0.0.1:8006',
    info: { pveName: o.cluster ?? 'lab', quorate: true, nodeCount, pveVersion: '8.3.1', pveRelease: '8.3' },
    nodes, guests, storages, tasks: o.tasks ?? [],
  };
}
