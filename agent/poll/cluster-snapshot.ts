// What one poll of one cluster produced: the hand-off from the pure mappers to the store.
// Every field is already typed and in our units (bytes, fraction 0..1, bytes/s, epoch seconds).

export type GuestType = 'qemu' | 'lxc';

export interface ClusterInfo {
  /** Name from /cluster/status; null for a standalone host. */
  pveName: string | null;
  quorate: boolean | null;
  nodeCount: number;
  pveVersion: string | null;
  pveRelease: string | null;
}

export interface NodeState {
  node: string;
  status: 'online' | 'offline' | 'unknown';
  nodeid: number | null;
  ip: string | null;
  /** The node that answered /cluster/status: the endpoint polled this cycle is its pveproxy (#15 certificates). */
  local?: boolean;
  level: string | null;
  maxcpu: number | null;
  uptime: number | null;
  cpu: number | null;
  iowait: number | null;
  load1: number | null;
  load5: number | null;
  load15: number | null;
  memTotal: number | null;
  memUsed: number | null;
  memAvailable: number | null;
  swapTotal: number | null;
  swapUsed: number | null;
  rootfsTotal: number | null;
  rootfsUsed: number | null;
  netinBps: number | null;
  netoutBps: number | null;
  cpuModel: string | null;
  kernel: string | null;
  pveVersion: string | null;
  hastate: string | null;
}

export interface GuestCounters {
  netin: number | null;
  netout: number | null;
  diskread: number | null;
  diskwrite: number | null;
}

export interface GuestState {
  vmid: number;
  type: GuestType;
  node: string;
  name: string | null;
  /** running | stopped | paused | prelaunch | suspended | unknown | … as Proxmox reports it. */
  status: string;
  template: boolean;
  tags: string[];
  pool: string | null;
  lock: string | null;
  hastate: string | null;
  uptime: number | null;
  cpu: number | null;
  maxcpu: number | null;
  mem: number | null;
  maxmem: number | null;
  memhost: number | null;
  /** Used root-fs bytes; LXC only (QEMU reports 0, which means "not measured"). */
  disk: number | null;
  maxdisk: number | null;
  /** Cumulative counters as reported (bytes since guest start). */
  counters: GuestCounters;
  /** Rates derived from the counters against the previous sample; null when unknown or reset. */
  netinBps: number | null;
  netoutBps: number | null;
  diskreadBps: number | null;
  diskwriteBps: number | null;
}

export interface StorageState {
  node: string;
  storage: string;
  type: string | null;
  content: string | null;
  shared: boolean;
  status: string;
  used: number | null;
  total: number | null;
}

export interface TaskRecord {
  upid: string;
  node: string;
  type: string;
  objectId: string | null;
  vmid: number | null;
  user: string | null;
  tokenid: string | null;
  starttime: number;
  endtime: number | null;
  /** OK, "WARNINGS: n", an error text, or RUNNING. */
  status: string | null;
  ok: boolean | null;
}

export interface ClusterSnapshot {
  /** Our configured cluster name. */
  cluster: string;
  /** Epoch seconds the samples are stamped with (the cycle's start, to the second). */
  ts: number;
  endpoint: string;
  info: ClusterInfo;
  nodes: NodeState[];
  guests: GuestState[];
  storages: StorageState[];
  tasks: TaskRecord[];
}

/** Samples fetched to fill a gap (backfill): already rates, one row per timestamp. */
export interface BackfillSamples {
  cluster: string;
  guests: Array<{ vmid: number; ts: number; cpu: number | null; mem: number | null; disk: number | null; netinBps: number | null; netoutBps: number | null; diskreadBps: number | null; diskwriteBps: number | null } & Partial<GuestRrdExtras>>;
  nodes: Array<{ node: string; ts: number; cpu: number | null; iowait: number | null; load1: number | null; memTotal: number | null; memUsed: number | null; memAvailable: number | null; swapTotal: number | null; swapUsed: number | null; rootfsTotal: number | null; rootfsUsed: number | null; netinBps: number | null; netoutBps: number | null } & Partial<NodeRrdExtras>>;
}

/** PVE 9 guest rrddata sources beyond the live ones (pve-vm-9.0): host memory and PSI avg10 %. */
export interface GuestRrdExtras {
  memhost: number | null;
  pressureCpuSome: number | null;
  pressureCpuFull: number | null;
  pressureIoSome: number | null;
  pressureIoFull: number | null;
  pressureMemorySome: number | null;
  pressureMemoryFull: number | null;
}

/** PVE 9 node rrddata sources (pve-node-9.0): ZFS ARC bytes and PSI avg10 % (no cpu "full" for nodes). */
export interface NodeRrdExtras {
  arcsize: number | null;
  pressureCpuSome: number | null;
  pressureIoSome: number | null;
  pressureIoFull: number | null;
  pressureMemorySome: number | null;
  pressureMemoryFull: number | null;
}
