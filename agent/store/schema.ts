// Row types of the database, as kysely sees them. Keep in step with db/migrations and db/README.md.
import type { Generated } from 'kysely';

/** Epoch seconds. */
type Epoch = number;

export interface ClustersTable {
  id: Generated<number>;
  name: string;
  pve_name: string | null;
  pve_version: string | null;
  pve_release: string | null;
  quorate: number | null;
  node_count: number | null;
  endpoint: string | null;
  first_seen: Epoch;
  last_poll_at: Epoch | null;
  last_ok_at: Epoch | null;
  last_error: string | null;
  last_sample_ts: Epoch | null;
}

export interface NodesTable {
  cluster_id: number;
  node: string;
  status: string;
  nodeid: number | null;
  ip: string | null;
  level: string | null;
  maxcpu: number | null;
  mem_total: number | null;
  swap_total: number | null;
  rootfs_total: number | null;
  uptime: number | null;
  cpu_model: string | null;
  kernel: string | null;
  pve_version: string | null;
  hastate: string | null;
  first_seen: Epoch;
  last_seen: Epoch;
}

export interface GuestsTable {
  cluster_id: number;
  vmid: number;
  type: 'qemu' | 'lxc';
  node: string;
  name: string | null;
  status: string;
  template: number;
  tags: string | null;
  pool: string | null;
  lock: string | null;
  hastate: string | null;
  maxcpu: number | null;
  maxmem: number | null;
  maxdisk: number | null;
  first_seen: Epoch;
  changed_at: Epoch;
  removed_at: Epoch | null;
}

export interface GuestStatusChangesTable {
  cluster_id: number;
  vmid: number;
  ts: Epoch;
  from_status: string | null;
  to_status: string;
  node: string | null;
}

export interface StoragesTable {
  cluster_id: number;
  node: string;
  storage: string;
  type: string | null;
  content: string | null;
  shared: number;
  status: string;
  used: number | null;
  total: number | null;
  first_seen: Epoch;
  last_seen: Epoch;
}

export interface GuestSamplesTable {
  ts: Epoch;
  cluster_id: number;
  vmid: number;
  uptime: number | null;
  cpu: number | null;
  mem: number | null;
  memhost: number | null;
  disk: number | null;
  netin_bps: number | null;
  netout_bps: number | null;
  diskread_bps: number | null;
  diskwrite_bps: number | null;
}

export interface NodeSamplesTable {
  ts: Epoch;
  cluster_id: number;
  node: string;
  uptime: number | null;
  cpu: number | null;
  iowait: number | null;
  load1: number | null;
  load5: number | null;
  load15: number | null;
  mem_total: number | null;
  mem_used: number | null;
  mem_available: number | null;
  swap_total: number | null;
  swap_used: number | null;
  rootfs_total: number | null;
  rootfs_used: number | null;
  netin_bps: number | null;
  netout_bps: number | null;
}

/** PVE 9 guest pressure stall (PSI avg10, percent), only from rrddata (2026-12-07-0020). */
export interface GuestPressureSamplesTable {
  cluster_id: number;
  vmid: number;
  ts: Epoch;
  cpu_some: number | null;
  cpu_full: number | null;
  io_some: number | null;
  io_full: number | null;
  memory_some: number | null;
  memory_full: number | null;
}

/** PVE 9 node ZFS ARC bytes and pressure stall (PSI avg10, percent), only from rrddata (2026-12-07-0020). */
export interface NodePressureSamplesTable {
  cluster_id: number;
  node: string;
  ts: Epoch;
  arcsize: number | null;
  cpu_some: number | null;
  io_some: number | null;
  io_full: number | null;
  memory_some: number | null;
  memory_full: number | null;
}

export interface StorageSamplesTable {
  ts: Epoch;
  cluster_id: number;
  node: string;
  storage: string;
  used: number | null;
  total: number | null;
}

export interface GuestRollupTable {
  cluster_id: number;
  vmid: number;
  ts: Epoch;
  samples: number;
  cpu_avg: number | null; cpu_max: number | null;
  mem_avg: number | null; mem_max: number | null;
  disk_avg: number | null; disk_max: number | null;
  netin_avg: number | null; netin_max: number | null;
  netout_avg: number | null; netout_max: number | null;
  diskread_avg: number | null; diskread_max: number | null;
  diskwrite_avg: number | null; diskwrite_max: number | null;
}

export interface NodeRollupTable {
  cluster_id: number;
  node: string;
  ts: Epoch;
  samples: number;
  cpu_avg: number | null; cpu_max: number | null;
  iowait_avg: number | null; iowait_max: number | null;
  load1_avg: number | null; load1_max: number | null;
  mem_used_avg: number | null; mem_used_max: number | null;
  mem_available_avg: number | null;
  mem_total: number | null;
  swap_used_avg: number | null;
  rootfs_used_avg: number | null;
  netin_avg: number | null; netin_max: number | null;
  netout_avg: number | null; netout_max: number | null;
}

export interface StorageRollupTable {
  cluster_id: number;
  node: string;
  storage: string;
  ts: Epoch;
  samples: number;
  used_avg: number | null;
  used_max: number | null;
  total: number | null;
}

export interface TasksTable {
  upid: string;
  cluster_id: number;
  node: string;
  type: string;
  object_id: string | null;
  vmid: number | null;
  user: string | null;
  tokenid: string | null;
  starttime: Epoch;
  endtime: Epoch | null;
  status: string | null;
  ok: number | null;
}

export type ActionState = 'queued' | 'posting' | 'running' | 'verifying' | 'done' | 'failed' | 'rejected';
export type ActionOutcome = 'done' | 'failed' | 'rejected';

export interface ActionsTable {
  id: string;
  cluster: string | null;
  vmid: number | null;
  guest_type: string | null;
  node: string | null;
  action: string | null;
  params: string | null;
  reason: string | null;
  submitter: string | null;
  file_name: string | null;
  state: ActionState;
  outcome: ActionOutcome | null;
  upid: string | null;
  exitstatus: string | null;
  error_code: string | null;
  message: string | null;
  verification: string | null;
  attempts: Generated<number>;
  received_at: Epoch;
  not_before: Epoch | null;
  expires: Epoch | null;
  posted_at: Epoch | null;
  task_ended_at: Epoch | null;
  finished_at: Epoch | null;
  updated_at: Epoch;
  /** Added by 2026-11-27-0003-actions-request (the inbox's crash recovery). */
  request_json: string | null;
  claimed_at: Epoch | null;
  result_file: string | null;
  submitter_uid: number | null;
}

export interface PollRunsTable {
  id: Generated<number>;
  cluster_id: number;
  started_at: Epoch;
  duration_ms: number;
  requests: number;
  errors: number;
  endpoint: string | null;
  ok: number;
  error: string | null;
}

export interface AgentStateTable {
  key: string;
  value: string;
  updated_at: Epoch;
}

/** Per-node / per-endpoint poll problems that did not fail the cluster (2026-12-07-0021). */
export interface PollErrorsTable {
  id: Generated<number>;
  cluster_id: number;
  ts: Epoch;
  /** The node the request was about; null for cluster-wide paths. */
  node: string | null;
  endpoint: string | null;
  path: string | null;
  code: string;
  message: string;
}

/** issue 14 item 5 (pages): a guest's snapshots as last read (migration 0080). */
export interface GuestSnapshotsTable {
  cluster_id: number;
  vmid: number;
  name: string;
  snaptime: Epoch | null;
  description: string | null;
  parent: string | null;
  vmstate: number | null;
}

export interface GuestSnapshotFetchesTable {
  cluster_id: number;
  vmid: number;
  fetched_at: Epoch;
  changed_at: Epoch;
  current_parent: string | null;
  error: string | null;
}

export interface Database {
  clusters: ClustersTable;
  nodes: NodesTable;
  guests: GuestsTable;
  guest_status_changes: GuestStatusChangesTable;
  storages: StoragesTable;
  guest_samples: GuestSamplesTable;
  node_samples: NodeSamplesTable;
  storage_samples: StorageSamplesTable;
  guest_pressure_samples: GuestPressureSamplesTable;
  node_pressure_samples: NodePressureSamplesTable;
  guest_samples_5m: GuestRollupTable;
  guest_samples_1h: GuestRollupTable;
  node_samples_5m: NodeRollupTable;
  node_samples_1h: NodeRollupTable;
  storage_samples_5m: StorageRollupTable;
  storage_samples_1h: StorageRollupTable;
  tasks: TasksTable;
  actions: ActionsTable;
  poll_runs: PollRunsTable;
  poll_errors: PollErrorsTable;
  agent_state: AgentStateTable;
  guest_snapshots: GuestSnapshotsTable; // issue 14 item 5 (pages)
  guest_snapshot_fetches: GuestSnapshotFetchesTable;
}
