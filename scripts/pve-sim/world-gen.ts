// World generation: nodes, storages, guests and a few past tasks, all derived from the seed and
// the UTC day the simulator starts in (the anchor), so the same seed and clock give the same world.
import { formatUpid } from '../../agent/pve/upid.ts';
import { createRng, hashInts, unit } from './rng.ts';
import type { GuestType, SimCluster, SimGuest, SimNode, SimStorage, SimTask } from './types.ts';
import type { WorldOptions } from './world.ts';

const GiB = 1024 ** 3;
const DAY = 86_400;

const QEMU_ROLES = ['web', 'db', 'app', 'mail', 'win', 'k8s-cp', 'k8s-wrk', 'gitlab', 'monitor', 'proxy', 'vpn', 'build'];
const LXC_ROLES = ['dns', 'nginx', 'redis', 'pihole', 'grafana', 'samba', 'unifi', 'mqtt', 'postgres', 'syncthing'];
const TAGS = ['prod', 'dev', 'web', 'db', 'backup', 'k8s', 'critical'];
const CPU_MODELS = [
  { model: 'Intel(R) Xeon(R) Silver 4214R CPU @ 2.40GHz', mhz: '2400.000' },
  { model: 'AMD EPYC 7302P 16-Core Processor', mhz: '3000.000' },
  { model: 'Intel(R) Xeon(R) E-2288G CPU @ 3.70GHz', mhz: '3700.000' },
];

/** Node names: pve1… for one cluster, c2-pve1… when there are several. */
export function nodeName(clusters: number, ci: number, ni: number): string {
  return clusters === 1 ? `pve${ni + 1}` : `c${ci + 1}-pve${ni + 1}`;
}

function makeStorages(seed: number, ci: number, ni: number, node: { rootTotal: number }, nodeCount: number): SimStorage[] {
  const k = (s: string) => hashInts(seed, ci, ni, ...[...s].map((c) => c.charCodeAt(0)));
  // Node 0's local storage receives the cluster's backups and fills ~1 % a day until the
  // 20-day prune: between 75 % and 95 % full, always within 30 days of full on its trend.
  const local: SimStorage = ni === 0
    ? { storage: 'local', type: 'dir', content: 'backup,iso,vztmpl', shared: 0, enabled: 1, active: 1, total: node.rootTotal, level: 0.75, key: k('local'), growthPerDay: 0.01, pruneEveryDays: 20 }
    : { storage: 'local', type: 'dir', content: 'backup,iso,vztmpl', shared: 0, enabled: 1, active: 1, total: node.rootTotal, level: 0.2 + 0.3 * unit(k('local')), key: k('local') };
  const list: SimStorage[] = [
    local,
    { storage: 'local-lvm', type: 'lvmthin', content: 'images,rootdir', shared: 0, enabled: 1, active: 1, total: (400 + 200 * Math.floor(unit(k('lvm')) * 8)) * GiB, level: 0.25 + 0.6 * unit(k('lvm'), 1), key: k('lvm') },
  ];
  if (nodeCount > 1) {
    const sharedKey = hashInts(seed, ci, 0x5a5);
    list.push({ storage: 'nas', type: 'nfs', content: 'backup,images,iso', shared: 1, enabled: 1, active: 1, total: 8 * 1024 * GiB, level: 0.55 + 0.3 * unit(sharedKey), key: sharedKey });
  }
  if (ni === 0) list.push({ storage: 'usb-backup', type: 'dir', content: 'backup', shared: 0, enabled: 1, active: 0, total: 0, level: 0, key: k('usb') });
  if (ni === 1) list.push({ storage: 'old-iso', type: 'dir', content: 'iso', shared: 0, enabled: 0, active: 0, total: 0, level: 0, key: k('old') });
  return list;
}

/** One node with its storages. */
export function makeNode(o: WorldOptions, ci: number, ni: number, anchor: number): SimNode {
  const r = createRng(hashInts(o.seed, ci, ni, 0xa0de));
  const cpu = r.pick(CPU_MODELS);
  const maxcpu = r.pick([8, 16, 24, 32, 48, 64]);
  const rootTotal = Math.round((94.3 + r.int(0, 3) * 100) * GiB);
  const node: SimNode = {
    name: nodeName(o.clusters, ci, ni),
    nodeid: o.standalone ? 0 : ni + 1,
    ip: `192.168.${(ci % 250) + 1}.${11 + ni}`,
    maxcpu,
    sockets: maxcpu >= 32 ? 2 : 1,
    cpuModel: cpu.model,
    mhz: cpu.mhz,
    maxmem: r.pick([32, 64, 128, 256]) * GiB - r.int(1, 9) * 104_857_600,
    swapTotal: 8 * GiB,
    rootTotal,
    bootAt: anchor - r.int(3 * DAY, 90 * DAY),
    key: hashInts(o.seed, ci, ni, 0x40de),
    load: 0.08 + 0.4 * r.next(),
    storages: [],
    offlineSince: null,
    nextPid: 1000 + r.int(0, 400_000),
  };
  node.storages = makeStorages(o.seed, ci, ni, node, o.standalone ? 1 : o.nodesPerCluster);
  return node;
}

/** Guest j of cluster ci (vmid 100 + j); indices 0–6 are the special cases the README lists. */
export function makeGuest(o: WorldOptions, ci: number, j: number, nodes: SimNode[], anchor: number): SimGuest {
  const r = createRng(hashInts(o.seed, ci, j, 0x9e57));
  const vmid = 100 + j;
  const node = nodes[(j + (ci % nodes.length)) % nodes.length]!;
  let type: GuestType = r.next() < 0.6 ? 'qemu' : 'lxc';
  let running = r.next() < 0.72;
  if (j === 0 || j === 1 || j === 3 || j === 4) type = 'qemu';
  if (j === 2 || j === 5) type = 'lxc';
  if (j >= 1 && j <= 5) running = true;
  if (j === 0) running = false;
  const roles = type === 'qemu' ? QEMU_ROLES : LXC_ROLES;
  const tags = TAGS.filter(() => r.next() < 0.18);
  const g: SimGuest = {
    vmid,
    type,
    name: j === 0 ? 'debian-12-template' : `${r.pick(roles)}-${String(j).padStart(2, '0')}`,
    node: node.name,
    status: 'stopped',
    qmpstatus: 'stopped',
    template: j === 0 ? 1 : 0,
    cpus: type === 'qemu' ? r.pick([1, 2, 2, 4, 4, 8]) : r.pick([1, 1, 2, 4]),
    maxmem: type === 'qemu' ? r.pick([1, 2, 4, 4, 8, 16]) * GiB : r.pick([512, 1024, 2048, 4096]) * 1024 * 1024,
    maxdisk: type === 'qemu' ? r.pick([8, 32, 32, 64, 100, 200]) * GiB : r.pick([4, 8, 8, 16, 32]) * GiB,
    maxswap: type === 'lxc' ? 512 * 1024 * 1024 : 0,
    startedAt: null,
    pid: null,
    counters: { carry: [0, 0, 0, 0], segStart: null },
    key: hashInts(o.seed, ci, vmid, 0x6e57),
    load: 0.02 + 0.5 * r.next() ** 2,
    memLevel: 0.3 + 0.5 * r.next(),
    diskLevel: 0.15 + 0.6 * r.next(),
    ignoresAcpi: j === 4,
    snapshots: [],
    history: [],
  };
  if (tags.length) g.tags = tags.join(';');
  if (tags.includes('prod')) g.pool = 'production';
  if (j === 1 || j === 2) g.hastate = 'started';
  if (j === 5) g.lock = 'backup';
  if (o.hostileNames && j === 6) {
    // Proxmox's tag format would reject most of these characters; the payload exists to prove
    // that every page escapes whatever the API returns (issue 6).
    g.name = '<img src=x onerror=alert(1)>';
    g.tags = 'prod;"><script>alert(1)</script>';
  }
  if (running) {
    const startedAt = anchor - 3600 - r.int(0, 30 * DAY);
    g.status = 'running';
    g.qmpstatus = j === 3 ? 'paused' : 'running';
    g.startedAt = startedAt;
    g.pid = node.nextPid++;
    g.counters = { carry: [0, 0, 0, 0], segStart: startedAt };
    g.history.push([startedAt, true]);
  } else {
    g.history.push([anchor - 400 * DAY, false]);
  }
  if (j === 3) g.counters = { carry: [1_234_567, 234_567, 45_678_901, 5_678_901], segStart: null };
  if (j === 7 || j === 0) {
    g.snapshots.push({ name: 'before-upgrade', description: 'before apt dist-upgrade', snaptime: anchor - 12 * DAY, ...(type === 'qemu' ? { vmstate: 0 as const } : {}) });
  }
  return g;
}

/** A few finished vzdump tasks of the last days (one failed), so task views are not empty. */
export function seedTasks(o: WorldOptions, cluster: SimCluster, anchor: number): void {
  const guests = [...cluster.guests.values()].filter((g) => g.template === 0).slice(0, 4);
  for (let day = 3; day >= 1; day--) {
    for (const [i, g] of guests.entries()) {
      const node = cluster.nodes.find((n) => n.name === g.node)!;
      const starttime = anchor - day * DAY + 3600 + i * 95;
      const failed = day === 2 && i === 1;
      const pid = node.nextPid++;
      const t: SimTask = {
        upid: formatUpid({ node: node.name, pid, pstart: (starttime - node.bootAt) * 100, starttime, type: 'vzdump', id: String(g.vmid), user: 'root@pam' }),
        node: node.name,
        pid,
        pstart: (starttime - node.bootAt) * 100,
        starttime,
        type: 'vzdump',
        id: String(g.vmid),
        user: 'root@pam',
        endMs: (starttime + 60 + (hashInts(o.seed, starttime) % 300)) * 1000,
        exitstatus: failed ? 'job errors' : 'OK',
        log: [`INFO: starting new backup job: vzdump ${g.vmid} --storage nas --mode snapshot`, `INFO: Starting Backup of VM ${g.vmid} (${g.type})`, failed ? `ERROR: Backup of VM ${g.vmid} failed - unable to open nas` : `INFO: Finished Backup of VM ${g.vmid}`],
        done: true,
      };
      cluster.tasks.push(t);
    }
  }
}

