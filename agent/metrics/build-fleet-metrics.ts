// The fleet's current state as OpenMetrics text: pure, from the cycle's snapshots and the agent's
// own counters. Names and labels follow prometheus-pve-exporter where the two overlap (pve_up,
// pve_cpu_usage_ratio, pve_guest_info …, label `id` = "qemu/100", "node/pve1", "storage/pve1/local",
// "cluster/<name>"), so dashboards built for it keep working; every series also carries `cluster`
// (our configured name), because one agent exports many clusters where the exporter is scraped once
// per cluster. The rest is named `pmi_*` (Prometheus conventions: base units in the name, counters
// `_total`). docs: README.md, "Prometheus".
import type { ClusterSnapshot, GuestState, NodeState, StorageState } from '../poll/cluster-snapshot.ts';
import { createOpenMetricsWriter, labelText, type ChunkSink, type LabelText, type OpenMetricsWriter } from './openmetrics-text.ts';

/** One configured cluster's poll health, as the metrics exporter keeps it across cycles. */
export interface ClusterPollHealth {
  cluster: string;
  /** This cycle's poll succeeded. */
  up: boolean;
  durationMs: number;
  /** Epoch seconds of the last successful poll since the agent started; null if none yet. */
  lastSuccessTs: number | null;
  requestsTotal: number;
  errorsTotal: number;
  /** Cycles in which this cluster's poll failed. */
  failuresTotal: number;
}

export interface ProcessStats {
  startTimeSeconds: number;
  residentMemoryBytes: number;
  cpuSecondsTotal: number;
}

export interface AgentHealth {
  /** The cycle's duration up to the metrics stage (poll, store, backfill, maintain, inbox, site). */
  cycleDurationMs: number;
  /** Epoch seconds when this file was built (the end of the cycle). */
  lastCycleTs: number;
  cyclesTotal: number;
  stageDurationsMs: Readonly<Record<string, number>>;
  stageFailuresTotal: Readonly<Record<string, number>>;
  process?: ProcessStats;
}

export interface FleetMetricsInput {
  /** This cycle's snapshots: clusters whose poll failed have none, so their series go stale. */
  snapshots: readonly ClusterSnapshot[];
  clusters: readonly ClusterPollHealth[];
  agent: AgentHealth;
}

// prometheus-pve-exporter's state sets (collector/cluster.py), so `pve_ha_state{state="started"}`
// and friends mean the same. A value outside the list is added to the set rather than lost.
const GUEST_HA_STATES = ['stopped', 'request_stop', 'request_start', 'request_start_balance', 'started', 'fence', 'recovery', 'migrate', 'relocate', 'freeze', 'error'];
const NODE_HA_STATES = ['online', 'maintenance', 'unknown', 'fence', 'gone'];
const LOCK_STATES = ['backup', 'clone', 'create', 'migrate', 'rollback', 'snapshot', 'snapshot-delete', 'suspended', 'suspending'];

interface Ids {
  s: ClusterSnapshot;
  cluster: LabelText | null;
  nodes: LabelText[];
  guests: LabelText[];
  storages: LabelText[];
}

const guestId = (g: GuestState) => `${g.type}/${g.vmid}`;
const nodeId = (n: NodeState) => `node/${n.node}`;
const storageId = (st: StorageState) => `storage/${st.node}/${st.storage}`;

function idsOf(s: ClusterSnapshot): Ids {
  const c = s.cluster;
  return {
    s,
    cluster: s.info.pveName ? labelText([['cluster', c], ['id', `cluster/${s.info.pveName}`]]) : null,
    nodes: s.nodes.map((n) => labelText([['cluster', c], ['id', nodeId(n)]])),
    guests: s.guests.map((g) => labelText([['cluster', c], ['id', guestId(g)]])),
    storages: s.storages.map((st) => labelText([['cluster', c], ['id', storageId(st)]])),
  };
}

type Val = number | boolean | null | undefined;

function eachNode(w: OpenMetricsWriter, all: Ids[], f: (n: NodeState) => Val): void {
  for (const x of all) for (let i = 0; i < x.s.nodes.length; i++) w.sample(x.nodes[i]!, f(x.s.nodes[i]!));
}
function eachGuest(w: OpenMetricsWriter, all: Ids[], f: (g: GuestState) => Val): void {
  for (const x of all) for (let i = 0; i < x.s.guests.length; i++) w.sample(x.guests[i]!, f(x.s.guests[i]!));
}
function eachStorage(w: OpenMetricsWriter, all: Ids[], f: (st: StorageState) => Val): void {
  for (const x of all) for (let i = 0; i < x.s.storages.length; i++) w.sample(x.storages[i]!, f(x.s.storages[i]!));
}

function stateSet(w: OpenMetricsWriter, cluster: string, id: string, states: readonly string[], current: string | null): void {
  const all = current && !states.includes(current) ? [...states, current] : states;
  for (const state of all) w.sample([['cluster', cluster], ['id', id], ['state', state]], state === current);
}

/** Builds the whole exposition (ending in `# EOF`) for one cycle, as a string (tests, tools). */
export function buildFleetMetrics(input: FleetMetricsInput): string {
  const chunks: Buffer[] = [];
  writeFleetMetrics(input, (c) => chunks.push(Buffer.from(c)));
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Writes the whole exposition (ending in `# EOF`) for one cycle to `sink` in UTF-8 chunks (see
 * ChunkSink) and returns its size in bytes.
 */
export function writeFleetMetrics(input: FleetMetricsInput, sink: ChunkSink): number {
  const w = createOpenMetricsWriter(sink);
  const all = input.snapshots.map(idsOf);

  // --- prometheus-pve-exporter's families -------------------------------------------------
  w.family({ name: 'pve_up', type: 'gauge', help: 'Node/VM/CT-Status is online/running' });
  for (const x of all) if (x.cluster) w.sample(x.cluster, x.s.info.quorate);
  eachNode(w, all, (n) => n.status === 'online');
  eachGuest(w, all, (g) => g.status === 'running');
  eachStorage(w, all, (st) => st.status === 'available');

  w.family({ name: 'pve_disk_size_bytes', type: 'gauge', unit: 'bytes', help: "Storage size in bytes (for type 'storage'), root image size for VMs (for types 'qemu' and 'lxc'), root file system size for nodes." });
  eachNode(w, all, (n) => n.rootfsTotal);
  eachGuest(w, all, (g) => g.maxdisk);
  eachStorage(w, all, (st) => st.total);

  w.family({ name: 'pve_disk_usage_bytes', type: 'gauge', unit: 'bytes', help: "Used disk space in bytes (for type 'storage'), used root image space for containers (type 'lxc'; Proxmox does not measure it for 'qemu'), used root file system for nodes." });
  eachNode(w, all, (n) => n.rootfsUsed);
  eachGuest(w, all, (g) => g.disk);
  eachStorage(w, all, (st) => st.used);

  w.family({ name: 'pve_memory_size_bytes', type: 'gauge', unit: 'bytes', help: "Number of available memory in bytes (for types 'node', 'qemu' and 'lxc')." });
  eachNode(w, all, (n) => n.memTotal);
  eachGuest(w, all, (g) => g.maxmem);

  w.family({ name: 'pve_memory_usage_bytes', type: 'gauge', unit: 'bytes', help: "Used memory in bytes (for types 'node', 'qemu' and 'lxc')." });
  eachNode(w, all, (n) => n.memUsed);
  eachGuest(w, all, (g) => g.mem);

  w.family({ name: 'pve_network_transmit_bytes', type: 'counter', unit: 'bytes', help: "The amount of traffic in bytes that was sent from the guest over the network since it was started. (for types 'qemu' and 'lxc')" });
  eachGuest(w, all, (g) => g.counters.netout);
  w.family({ name: 'pve_network_receive_bytes', type: 'counter', unit: 'bytes', help: "The amount of traffic in bytes that was sent to the guest over the network since it was started. (for types 'qemu' and 'lxc')" });
  eachGuest(w, all, (g) => g.counters.netin);
  w.family({ name: 'pve_disk_written_bytes', type: 'counter', unit: 'bytes', help: "The amount of bytes the guest wrote to its block devices since the guest was started. This info is not available for all storage types. (for types 'qemu' and 'lxc')" });
  eachGuest(w, all, (g) => g.counters.diskwrite);
  w.family({ name: 'pve_disk_read_bytes', type: 'counter', unit: 'bytes', help: "The amount of bytes the guest read from its block devices since the guest was started. This info is not available for all storage types. (for types 'qemu' and 'lxc')" });
  eachGuest(w, all, (g) => g.counters.diskread);

  w.family({ name: 'pve_cpu_usage_ratio', type: 'gauge', unit: 'ratio', help: "CPU utilization (for types 'node', 'qemu' and 'lxc')." });
  eachNode(w, all, (n) => n.cpu);
  eachGuest(w, all, (g) => g.cpu);

  w.family({ name: 'pve_cpu_usage_limit', type: 'gauge', help: "Number of available CPUs (for types 'node', 'qemu' and 'lxc')." });
  eachNode(w, all, (n) => n.maxcpu);
  eachGuest(w, all, (g) => g.maxcpu);

  w.family({ name: 'pve_uptime_seconds', type: 'gauge', unit: 'seconds', help: "Uptime of node or virtual guest in seconds (for types 'node', 'qemu' and 'lxc')." });
  eachNode(w, all, (n) => n.uptime);
  eachGuest(w, all, (g) => g.uptime);

  w.family({ name: 'pve_storage_shared', type: 'gauge', help: 'Whether or not the storage is shared among cluster nodes' });
  eachStorage(w, all, (st) => st.shared);

  // The exporter writes every state of every guest (20 series a guest, 200,000 at 10,000 guests,
  // nearly all 0); here only HA-managed guests get the HA set and only locked guests the lock set.
  // `pve_ha_state == 1` and `pve_lock_state == 1` answer the same; nodes always get their set.
  w.family({ name: 'pve_ha_state', type: 'gauge', help: 'HA service status (for HA managed VMs, and nodes).' });
  for (const { s } of all) {
    for (const n of s.nodes) stateSet(w, s.cluster, nodeId(n), NODE_HA_STATES, n.hastate);
    for (const g of s.guests) if (g.hastate) stateSet(w, s.cluster, guestId(g), GUEST_HA_STATES, g.hastate);
  }

  w.family({ name: 'pve_lock_state', type: 'gauge', help: "The guest's current config lock (for types 'qemu' and 'lxc'; only locked guests are listed)" });
  for (const { s } of all) for (const g of s.guests) if (g.lock) stateSet(w, s.cluster, guestId(g), LOCK_STATES, g.lock);

  w.family({ name: 'pve_guest_info', type: 'gauge', help: 'VM/CT info' });
  for (const { s } of all) {
    for (const g of s.guests) {
      w.sample([['cluster', s.cluster], ['id', guestId(g)], ['node', g.node], ['name', g.name ?? ''], ['type', g.type], ['template', g.template ? '1' : '0'], ['tags', g.tags.join(';')]], 1);
    }
  }

  w.family({ name: 'pve_storage_info', type: 'gauge', help: 'Storage info' });
  for (const { s } of all) {
    for (const st of s.storages) {
      w.sample([['cluster', s.cluster], ['id', storageId(st)], ['node', st.node], ['storage', st.storage], ['plugintype', st.type ?? ''], ['content', st.content ?? '']], 1);
    }
  }

  w.family({ name: 'pve_node_info', type: 'gauge', help: 'Node info' });
  for (const { s } of all) {
    for (const n of s.nodes) w.sample([['cluster', s.cluster], ['id', nodeId(n)], ['level', n.level ?? ''], ['name', n.node], ['nodeid', n.nodeid === null ? '' : String(n.nodeid)]], 1);
  }

  w.family({ name: 'pve_cluster_info', type: 'gauge', help: 'Cluster info' });
  for (const { s } of all) {
    if (s.info.pveName) w.sample([['cluster', s.cluster], ['id', `cluster/${s.info.pveName}`], ['nodes', String(s.info.nodeCount)], ['quorate', s.info.quorate ? '1' : '0']], 1);
  }

  w.family({ name: 'pve_version_info', type: 'gauge', help: 'Proxmox VE version info' });
  for (const { s } of all) {
    if (s.info.pveVersion) w.sample([['cluster', s.cluster], ['release', s.info.pveRelease ?? ''], ['version', s.info.pveVersion]], 1);
  }

  // --- what the exporter does not have: node details from /nodes/{node}/status -------------
  w.family({ name: 'pmi_node_load1', type: 'gauge', help: 'Node load average over 1 minute.' });
  eachNode(w, all, (n) => n.load1);
  w.family({ name: 'pmi_node_load5', type: 'gauge', help: 'Node load average over 5 minutes.' });
  eachNode(w, all, (n) => n.load5);
  w.family({ name: 'pmi_node_load15', type: 'gauge', help: 'Node load average over 15 minutes.' });
  eachNode(w, all, (n) => n.load15);
  w.family({ name: 'pmi_node_iowait_ratio', type: 'gauge', unit: 'ratio', help: 'Share of CPU time the node spent waiting for I/O.' });
  eachNode(w, all, (n) => n.iowait);
  w.family({ name: 'pmi_node_memory_available_bytes', type: 'gauge', unit: 'bytes', help: 'Node memory available for new work (MemAvailable), in bytes.' });
  eachNode(w, all, (n) => n.memAvailable);
  w.family({ name: 'pmi_node_swap_size_bytes', type: 'gauge', unit: 'bytes', help: 'Node swap size in bytes.' });
  eachNode(w, all, (n) => n.swapTotal);
  w.family({ name: 'pmi_node_swap_usage_bytes', type: 'gauge', unit: 'bytes', help: 'Node swap in use, in bytes.' });
  eachNode(w, all, (n) => n.swapUsed);
  w.family({ name: 'pmi_guest_memory_host_bytes', type: 'gauge', unit: 'bytes', help: "Host memory a guest occupies, in bytes (PVE 8.3+ 'memhost'; for types 'qemu' and 'lxc')." });
  eachGuest(w, all, (g) => g.memhost);

  // --- the agent's own health ----------------------------------------------------------------
  const byCluster = [...input.clusters].sort((a, b) => a.cluster.localeCompare(b.cluster));
  const cl = (c: ClusterPollHealth) => [['cluster', c.cluster]] as const;
  w.family({ name: 'pmi_cluster_poll_up', type: 'gauge', help: "Whether this cycle's poll of the cluster succeeded (its pve_* series are absent when not)." });
  for (const c of byCluster) w.sample(cl(c), c.up);
  w.family({ name: 'pmi_cluster_poll_duration_seconds', type: 'gauge', unit: 'seconds', help: "This cycle's poll of the cluster took this long." });
  for (const c of byCluster) w.sample(cl(c), c.durationMs / 1000);
  w.family({ name: 'pmi_cluster_last_poll_success_timestamp_seconds', type: 'gauge', unit: 'seconds', help: 'When the cluster was last polled successfully (since the agent started), Unix time.' });
  for (const c of byCluster) w.sample(cl(c), c.lastSuccessTs);
  w.family({ name: 'pmi_cluster_poll_requests', type: 'counter', help: 'HTTP requests made to the cluster (retries included).' });
  for (const c of byCluster) w.sample(cl(c), c.requestsTotal);
  w.family({ name: 'pmi_cluster_poll_errors', type: 'counter', help: 'Failed requests to the cluster plus malformed response entries skipped.' });
  for (const c of byCluster) w.sample(cl(c), c.errorsTotal);
  w.family({ name: 'pmi_cluster_poll_failures', type: 'counter', help: 'Cycles in which polling the cluster failed.' });
  for (const c of byCluster) w.sample(cl(c), c.failuresTotal);

  const a = input.agent;
  w.family({ name: 'pmi_agent_cycle_duration_seconds', type: 'gauge', unit: 'seconds', help: 'How long the last cycle took (poll, store, backfill, maintain, inbox, site).' });
  w.sample([], a.cycleDurationMs / 1000);
  w.family({ name: 'pmi_agent_cycle_stage_duration_seconds', type: 'gauge', unit: 'seconds', help: 'How long each stage of the last cycle took.' });
  for (const [stage, ms] of Object.entries(a.stageDurationsMs)) w.sample([['stage', stage]], ms / 1000);
  w.family({ name: 'pmi_agent_cycle_stage_failures', type: 'counter', help: 'Cycle stages that failed (their error is logged).' });
  for (const [stage, n] of Object.entries(a.stageFailuresTotal)) w.sample([['stage', stage]], n);
  w.family({ name: 'pmi_agent_cycles', type: 'counter', help: 'Cycles run since the agent started.' });
  w.sample([], a.cyclesTotal);
  w.family({ name: 'pmi_agent_last_cycle_timestamp_seconds', type: 'gauge', unit: 'seconds', help: 'When the agent last finished a cycle and wrote this file, Unix time: alert when it falls behind.' });
  w.sample([], a.lastCycleTs);

  if (a.process) {
    w.family({ name: 'process_start_time_seconds', type: 'gauge', unit: 'seconds', help: 'Start time of the process since unix epoch in seconds.' });
    w.sample([], a.process.startTimeSeconds);
    w.family({ name: 'process_resident_memory_bytes', type: 'gauge', unit: 'bytes', help: 'Resident memory size in bytes.' });
    w.sample([], a.process.residentMemoryBytes);
    w.family({ name: 'process_cpu_seconds', type: 'counter', unit: 'seconds', help: 'Total user and system CPU time spent in seconds.' });
    w.sample([], a.process.cpuSecondsTotal);
  }
  return w.finish();
}
