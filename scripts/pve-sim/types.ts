// Public types of the Proxmox VE simulator (the contract in the team brief) plus the world model
// the route handlers read and the task engine mutates.
import type { Upid } from '../../agent/pve/upid.ts';
import type { World } from './world.ts';
import type { SimHealth } from './health-world.ts';

/** A fault injected into one cluster, one node's endpoint or one path (see faults.ts for the exact scope). */
export type Fault =
  | { kind: 'offline' }
  | { kind: 'timeout596' }
  | { kind: 'noRoute595' }
  | { kind: 'auth401'; delayMs?: number }
  | { kind: 'error500'; message: string }
  /** Proxmox's 403 status line for a privilege the token lacks ("Permission check failed (path, priv)"). */
  | { kind: 'forbidden403'; path: string; privilege: string }
  | { kind: 'hang' }
  | { kind: 'malformed' }
  | { kind: 'latency'; ms: number }
  | { kind: 'certChanged' }
  /** The next task started for this guest ends with `TASK ERROR: <message>`. */
  | { kind: 'taskFail'; vmid: number; message?: string };

export interface FaultTarget {
  /** Our cluster name (SimHandle.clusters[i].name). */
  cluster: string;
  node?: string;
  /** Matches the request path after /api2/json (RegExp) or equals it / its route template (string). */
  path?: RegExp | string;
}

export interface SimOptions {
  seed?: number;
  clusters?: number;
  nodesPerCluster?: number;
  /** Total across all clusters. */
  guests?: number;
  pveVersion?: 7 | 8 | 9;
  /** Overrides the profile's pve-manager version (e.g. '8.2.4'); field shapes follow it (Appendix B). */
  pveManagerVersion?: string;
  latencyMs?: number;
  tokenId?: string;
  tokenSecret?: string;
  standalone?: boolean;
  hostileNames?: boolean;
  /** 1 = realistic task durations; tests use ~0.05. */
  taskTimeScale?: number;
  /** Clock in epoch milliseconds. */
  now?: () => number;
  /** Delay of every 401 (pveproxy waits ~3 s). */
  authFailDelayMs?: number;
  /** First port; endpoints get consecutive ports. 0/undefined = ephemeral. */
  basePort?: number;
  /** Write the certificate's SHA-256 fingerprint to this file. */
  fingerprintFile?: string;
  /** The token's privileges, path → list (default: everything on "/"); missing ones give 403s. */
  privileges?: Record<string, readonly string[]>;
  /** pveproxy's idle keep-alive timeout. */
  keepAliveTimeoutMs?: number;
}

export interface SimEndpoint {
  node: string;
  url: string;
}

export interface SimStats {
  requests: number;
  /** By route template, e.g. "/nodes/{node}/status" ("(unmatched)" for 501s). */
  byPath: Record<string, number>;
  byMethod: Record<string, number>;
  /** By "METHOD template". */
  byRoute: Record<string, number>;
  /** By our cluster name. */
  byCluster: Record<string, number>;
}

export interface SimHandle {
  clusters: Array<{ name: string; pveName: string | null; endpoints: SimEndpoint[] }>;
  fingerprint: string;
  certPem: string;
  caPem?: string;
  tokenId: string;
  tokenSecret: string;
  faults: { set(target: FaultTarget, fault: Fault): void; clear(target?: Partial<FaultTarget>): void };
  stats(): SimStats;
  resetStats(): void;
  world: World;
  stop(): Promise<void>;
}

export type GuestType = 'qemu' | 'lxc';

export interface Snapshot {
  name: string;
  description: string;
  snaptime: number;
  parent?: string;
  vmstate?: 0 | 1;
  snapstate?: string;
}

/** Cumulative counters: carry (bytes accumulated in earlier run segments) + model integral since segStart. */
export interface CounterState {
  carry: [number, number, number, number];
  /** Epoch seconds where the current running segment began; null while not accumulating. */
  segStart: number | null;
}

export interface SimGuest {
  vmid: number;
  type: GuestType;
  name: string;
  node: string;
  status: 'running' | 'stopped';
  /** QEMU run state (running, paused, …); equals status when stopped. */
  qmpstatus: string;
  template: 0 | 1;
  tags?: string;
  pool?: string;
  lock?: string;
  hastate?: string;
  cpus: number;
  maxmem: number;
  maxdisk: number;
  maxswap: number;
  /** Epoch seconds of the (QEMU/LXC) process start; null when stopped. */
  startedAt: number | null;
  pid: number | null;
  counters: CounterState;
  /** Hash key for the metric model. */
  key: number;
  /** Metric model parameters (0..1). */
  load: number;
  memLevel: number;
  diskLevel: number;
  /** World flag: ignores ACPI, so shutdown without forceStop times out. */
  ignoresAcpi: boolean;
  snapshots: Snapshot[];
  /** Status history for rrddata: [epochSec, running?] transitions, oldest first. */
  history: Array<[number, boolean]>;
}

export interface SimStorage {
  storage: string;
  type: string;
  content: string;
  shared: 0 | 1;
  enabled: 0 | 1;
  active: 0 | 1;
  total: number;
  /** Fill fraction base. */
  level: number;
  key: number;
  /**
   * Steady growth as a fraction of total per day, restarting every `pruneEveryDays` (old backups
   * removed): a backup target filling up, so trend queries have something real to find.
   */
  growthPerDay?: number;
  pruneEveryDays?: number;
}

export interface SimNode {
  name: string;
  nodeid: number;
  ip: string;
  maxcpu: number;
  sockets: number;
  cpuModel: string;
  mhz: string;
  maxmem: number;
  swapTotal: number;
  rootTotal: number;
  bootAt: number;
  key: number;
  load: number;
  storages: SimStorage[];
  /** Epoch seconds since which the node is offline (fault), null when online. */
  offlineSince: number | null;
  nextPid: number;
}

/** A task: the decoded UPID fields (user@realm with the token split off) plus its run state. */
export interface SimTask extends Omit<Upid, 'tokenid'> {
  upid: string;
  tokenid?: string;
  /** Epoch ms. */
  endMs: number;
  /** Final exit status text ("OK", "WARNINGS: 1", error text). */
  exitstatus: string;
  log: string[];
  done: boolean;
  /** Applied when the task ends successfully. */
  effect?: () => void;
  /** Applied when the task ends, whatever the outcome (e.g. releasing a lock). */
  cleanup?: () => void;
}

export interface SimCluster {
  index: number;
  name: string;
  pveName: string | null;
  nodes: SimNode[];
  guests: Map<number, SimGuest>;
  tasks: SimTask[];
  /** Events (HA state changes) at epoch ms. */
  pending: Array<{ atMs: number; run: () => void }>;
  configVersion: number;
  /** vmid → message for the next task of that guest. */
  failNext: Map<number, string>;
  /** Backups, disks, pools, HA, Ceph, replication, certificates, packages (health-world.ts). */
  health?: SimHealth;
}
