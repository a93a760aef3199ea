// World generation and the inspectable world state. Everything is derived from the seed and the
// UTC day the simulator starts in, so the same seed and clock give the same answers.
import { createRng, hashInts, unit } from './rng.ts';
import type { Privileges } from './permissions.ts';
import type { PveProfile } from './profiles.ts';
import type { GuestType, SimCluster, SimGuest, SimNode, SimStorage, SimTask } from './types.ts';
import { formatUpid } from '../../agent/pve/upid.ts';
import { startProcess, stopProcess } from './guest-state.ts';

const GiB = 1024 ** 3;
const DAY = 86_400;

export interface WorldOptions {
  seed: number;
  clusters: number;
  nodesPerCluster: number;
  guests: number;
  standalone: boolean;
  hostileNames: boolean;
  profile: PveProfile;
  tokenId: string;
  taskTimeScale: number;
  now: () => number;
  privileges: Privileges;
}

/** The simulator's state: clusters, nodes, guests, tasks; readable by tests. */
export interface World {
  readonly seed: number;
  readonly profile: PveProfile;
  readonly clusters: SimCluster[];
  readonly tokenId: string;
  readonly taskTimeScale: number;
  /** The token's ACL (path → privileges). */
  readonly privileges: Privileges;
  /** Epoch milliseconds. */
  now(): number;
  cluster(name: string): SimCluster | undefined;
  guest(cluster: string, vmid: number): SimGuest | undefined;
  node(cluster: string, node: string): SimNode | undefined;
  /** Applies task endings and HA events that are due (called before every request). */
  advance(): void;
  /** Makes the guest ignore ACPI so a shutdown without forceStop times out. */
  setIgnoresAcpi(cluster: string, vmid: number, on: boolean): void;
  /** The next task of this guest fails with this exit status. */
  failNextTask(cluster: string, vmid: number, message: string): void;
}

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
  const list: SimStorage[] = [
    { storage: 'local', type: 'dir', content: 'backup,iso,vztmpl', shared: 0, enabled: 1, active: 1, total: node.rootTotal, level: 0.2 + 0.3 * unit(k('local')), key: k('local') },
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

function makeNode(o: WorldOptions, ci: number, ni: number, anchor: number): SimNode {
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

function makeGuest(o: WorldOptions, ci: number, j: number, nodes: SimNode[], anchor: number): SimGuest {
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

function seedTasks(o: WorldOptions, cluster: SimCluster, anchor: number): void {
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

/** Builds the deterministic world for the options. */
export function createWorld(o: WorldOptions): World {
  const anchor = Math.floor(o.now() / 1000 / DAY) * DAY;
  const clusters: SimCluster[] = [];
  const perCluster = Math.floor(o.guests / o.clusters);
  for (let ci = 0; ci < o.clusters; ci++) {
    const nodeCount = o.standalone ? 1 : o.nodesPerCluster;
    const nodes = Array.from({ length: nodeCount }, (_, ni) => makeNode(o, ci, ni, anchor));
    const count = perCluster + (ci < o.guests % o.clusters ? 1 : 0);
    const guests = new Map<number, SimGuest>();
    for (let j = 0; j < count; j++) {
      const g = makeGuest(o, ci, j, nodes, anchor);
      guests.set(g.vmid, g);
    }
    const name = `cluster${ci + 1}`;
    const cluster: SimCluster = { index: ci, name, pveName: o.standalone ? null : name, nodes, guests, tasks: [], pending: [], configVersion: nodeCount + 2, failNext: new Map() };
    seedTasks(o, cluster, anchor);
    clusters.push(cluster);
  }
  const byName = new Map(clusters.map((c) => [c.name, c]));
  const world: World = {
    seed: o.seed,
    profile: o.profile,
    clusters,
    tokenId: o.tokenId,
    taskTimeScale: o.taskTimeScale,
    privileges: o.privileges,
    now: o.now,
    cluster: (name) => byName.get(name),
    guest: (c, vmid) => byName.get(c)?.guests.get(vmid),
    node: (c, n) => byName.get(c)?.nodes.find((x) => x.name === n),
    advance() {
      const nowMs = o.now();
      for (const c of clusters) advanceCluster(c, nowMs);
    },
    setIgnoresAcpi(c, vmid, on) {
      const g = world.guest(c, vmid);
      if (g) g.ignoresAcpi = on;
    },
    failNextTask(c, vmid, message) {
      byName.get(c)?.failNext.set(vmid, message);
    },
  };
  return world;
}

/**
 * HA recovery: guests of a node offline for 60 s are fenced, after 120 s they are recovered
 * (started) on the first online node, as the HA manager does once the failed node is fenced.
 */
function haRecovery(c: SimCluster, nowMs: number): void {
  const target = c.nodes.find((n) => n.offlineSince === null);
  for (const n of c.nodes) {
    if (n.offlineSince === null || nowMs / 1000 - n.offlineSince < 60) continue;
    for (const g of c.guests.values()) {
      if (g.node !== n.name || g.hastate === undefined || g.hastate === 'stopped' || g.hastate === 'disabled') continue;
      const recoverAt = n.offlineSince + 120;
      if (nowMs / 1000 < recoverAt || !target) {
        g.hastate = 'fence';
        continue;
      }
      g.node = target.name;
      if (g.status === 'running') stopProcess(g, n.offlineSince);
      startProcess(g, recoverAt, target);
      g.hastate = 'started';
    }
  }
}

/** Ends due tasks (applying their effects) and runs due HA events, in time order. */
export function advanceCluster(c: SimCluster, nowMs: number): void {
  haRecovery(c, nowMs);
  for (;;) {
    let next: { at: number; run: () => void } | undefined;
    for (const t of c.tasks) {
      if (!t.done && t.endMs <= nowMs && (!next || t.endMs < next.at)) {
        next = {
          at: t.endMs,
          run: () => {
            t.done = true;
            t.cleanup?.();
            if (t.exitstatus === 'OK' || t.exitstatus.startsWith('WARNINGS')) t.effect?.();
          },
        };
      }
    }
    for (const [i, p] of c.pending.entries()) {
      if (p.atMs <= nowMs && (!next || p.atMs < next.at)) {
        next = {
          at: p.atMs,
          run: () => {
            c.pending.splice(i, 1);
            p.run();
          },
        };
      }
    }
    if (!next) return;
    next.run();
  }
}
