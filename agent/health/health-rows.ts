// What the health tier hands to the store: typed rows in our units (bytes, epoch seconds,
// percent of disk life USED), one set per signal and fetch. Pure data, no behaviour.

export type SignalState = 'ok' | 'forbidden' | 'error' | 'absent';

/** The signals the slower tiers read; names are stored in health_coverage.signal. */
export type HealthSignal =
  | 'backup_jobs'
  | 'backup_not_in_job'
  | 'backup_tasks'
  | 'backup_logs'
  | 'disks'
  | 'zfs'
  | 'zfs_detail'
  | 'lvm_thin'
  | 'ha'
  | 'ceph'
  | 'ceph_pools'
  | 'replication'
  | 'certificates'
  | 'apt_versions';

export interface BackupJobRow {
  jobId: string;
  enabled: boolean;
  schedule: string | null;
  storage: string | null;
  mode: string | null;
  all: boolean;
  vmids: number[];
  pool: string | null;
  node: string | null;
  exclude: number[];
  comment: string | null;
  nextRun: number | null;
  /** From the schedule: the largest gap between two runs + 2 h grace; null when unparsable. */
  rpoS: number | null;
}

export interface ExcludedVolumeRow {
  jobId: string;
  vmid: number;
  volume: string;
  name: string | null;
  reason: string | null;
}

export interface NotInJobRow {
  vmid: number;
  name: string | null;
  type: string | null;
}

export interface BackupTaskRow {
  upid: string;
  node: string;
  vmid: number | null;
  starttime: number;
  endtime: number | null;
  status: string | null;
}

export interface BackupRunRow {
  upid: string;
  vmid: number;
  node: string;
  starttime: number;
  endtime: number | null;
  durationS: number | null;
  ok: boolean;
  error: string | null;
  sizeBytes: number | null;
  storage: string | null;
  archive: string | null;
}

export interface DiskRow {
  devpath: string;
  type: string | null;
  model: string | null;
  serial: string | null;
  vendor: string | null;
  wwn: string | null;
  sizeBytes: number | null;
  rpm: number | null;
  used: string | null;
  health: string | null;
  /** Percent of rated life used (100 − what the API reports); null when the disk gives none. */
  wearout: number | null;
}

export interface ZfsPoolRow {
  pool: string;
  health: string | null;
  sizeBytes: number | null;
  allocBytes: number | null;
  freeBytes: number | null;
  frag: number | null;
  dedup: number | null;
}

export interface ZfsDetailRow {
  pool: string;
  health: string | null;
  scan: string | null;
  lastScrubEnd: number | null;
  errors: string | null;
  readErrors: number;
  writeErrors: number;
  cksumErrors: number;
}

export interface ThinPoolRow {
  vg: string;
  lv: string;
  sizeBytes: number | null;
  usedBytes: number | null;
  metadataSizeBytes: number | null;
  metadataUsedBytes: number | null;
}

export interface HaRows {
  quorate: boolean | null;
  masterNode: string | null;
  masterStatus: string | null;
  nodes: Array<{ node: string; lrmState: string | null; lrmStatus: string | null; nodeState: string; fenced: boolean }>;
  services: Array<{ sid: string; vmid: number | null; node: string | null; state: string | null; crmState: string | null; requestState: string | null; status: string | null }>;
}

export interface CephRows {
  health: string;
  /** check name → { severity, message }. */
  checks: Record<string, { severity: string | null; message: string | null }>;
  osds: number | null;
  osdsUp: number | null;
  osdsIn: number | null;
  pgs: number | null;
  bytesUsed: number | null;
  bytesTotal: number | null;
}

export interface CephPoolRow {
  pool: string;
  poolId: number | null;
  size: number | null;
  minSize: number | null;
  bytesUsed: number | null;
  percentUsed: number | null;
  maxAvailBytes: number | null;
}

export interface ReplicationRow {
  jobId: string;
  guest: number | null;
  source: string | null;
  target: string | null;
  schedule: string | null;
  lastSync: number | null;
  lastTry: number | null;
  nextSync: number | null;
  durationS: number | null;
  failCount: number | null;
  error: string | null;
}

export interface CertificateRow {
  filename: string;
  source: 'api' | 'handshake';
  subject: string | null;
  issuer: string | null;
  notbefore: number | null;
  notafter: number | null;
  fingerprint: string | null;
  san: string | null;
}

export interface SoftwareRow {
  runningKernel: string | null;
  newestKernel: string | null;
  managerVersion: string | null;
  pveVersion: string | null;
  rebootRequired: boolean | null;
}

/** The outcome of one signal fetch (one endpoint, or one per node). */
export type SignalResult = {
  signal: HealthSignal;
  /** '' for cluster-wide signals. */
  node: string;
  state: SignalState;
  privilege?: string;
  aclPath?: string;
  message?: string;
} & (
  | { kind: 'none' }
  | { kind: 'backup_jobs'; jobs: BackupJobRow[]; excluded: ExcludedVolumeRow[] | null }
  | { kind: 'backup_not_in_job'; rows: NotInJobRow[] }
  | { kind: 'backup_tasks'; rows: BackupTaskRow[] }
  | { kind: 'backup_log'; upid: string; runs: BackupRunRow[] }
  | { kind: 'disks'; rows: DiskRow[] }
  | { kind: 'zfs'; rows: ZfsPoolRow[] }
  | { kind: 'zfs_detail'; row: ZfsDetailRow }
  | { kind: 'lvm_thin'; rows: ThinPoolRow[] }
  | { kind: 'ha'; rows: HaRows }
  | { kind: 'ceph'; rows: CephRows }
  | { kind: 'ceph_pools'; rows: CephPoolRow[] }
  | { kind: 'replication'; rows: ReplicationRow[] }
  | { kind: 'certificates'; rows: CertificateRow[] }
  | { kind: 'apt_versions'; row: SoftwareRow }
);

/** One cluster's health results of one cycle: written in one transaction. */
export interface HealthBatch {
  cluster: string;
  /** The token the cluster is read with (the coverage's pveum lines name it). */
  tokenId?: string;
  /** Epoch seconds the rows are stamped with. */
  ts: number;
  results: SignalResult[];
  /** Certificates seen in the TLS handshakes of the poll (source 'handshake'), when the certificates read was due. */
  handshake?: Array<{ node: string; row: CertificateRow }>;
}
