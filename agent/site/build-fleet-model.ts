// Pure: inventory rows + current values → the view models of the overview, cluster, node and
// storage pages (tables with display text and sortable raw values, links everywhere).
import { fmtBytes, fmtDuration, fmtPct, fmtRate, fmtTime } from './format.ts';

import type { ClusterRow, GuestRow, NodeRow, StorageRow } from '../store/site-inventory.repository.ts';
import { paths } from './site-paths.ts';
import { groupBy } from './group-by.ts';
import { DEFAULT_THRESHOLDS, shownPct, usageLevel, type AttentionThresholds, type UsageLevel } from './build-attention-model.ts'; // attention (#14)

/** Current values of a running guest (from its newest raw sample). */
export interface GuestNow {
  ts: number;
  cpu: number | null;
  mem: number | null;
  disk: number | null;
  uptime: number | null;
  netin: number | null;
  netout: number | null;
  diskread: number | null;
  diskwrite: number | null;
}

export interface Fleet {
  clusters: ClusterRow[];
  nodes: NodeRow[];
  guests: GuestRow[];
  storages: StorageRow[];
  /** Key `${cluster_id}/${vmid}` → current values, for guests sampled in the cluster's last cycle. */
  now: Map<string, GuestNow>;
  failedTasks24h: number;
  failedActions24h: number;
  nearFullRatio: number;
  /** attention (#14): thresholds of the usage bars (absent: DEFAULT_THRESHOLDS). */
  thresholds?: AttentionThresholds;
}

export interface Cell {
  text: string;
  /** Sort value (number or string); absent → the text. */
  v?: number | string;
  /** attention (#14): a usage bar (percent as displayed, level by the config's thresholds). */
  bar?: { pct: number; level: UsageLevel };
}

/** Root-relative link helper: every href in a page is relative so the site works under any prefix. */
export type Href = (path: string) => string;

const ratio = (a: number | null | undefined, b: number | null | undefined) => (a != null && b ? a / b : null);

const NO_VALUE: Cell = { text: '–', v: -1 };

/**
 * Guest table rows (templates last within their cluster order). The table's live cells are empty
 * (partials/guests-table.eta): site.js fills them from status.json, so the rows stay equal from cycle to cycle.
 */
export function buildGuestRows(f: Pick<Fleet, 'clusters' | 'guests'>, href: Href) {
  const names = clusterNames(f);
  return f.guests.map((g) => {
    const c = names.get(g.cluster_id) ?? '?';
    return {
      href: href(paths.guest(c, g.vmid)),
      name: g.name ?? `vm ${g.vmid}`,
      vmid: g.vmid,
      type: g.type,
      cluster: c,
      clusterHref: href(paths.cluster(c)),
      node: g.node,
      nodeHref: href(paths.node(c, g.node)),
      status: g.status,
      template: g.template === 1,
      tags: splitTags(g.tags),
      maxmem: { text: fmtBytes(g.maxmem), v: g.maxmem === null ? -1 : Math.round(g.maxmem / 1048576) },
    };
  });
}

/** Node table rows; the guest counts are of `f.guests` (a cluster page passes only its own). */
export function buildNodeRows(f: Fleet, href: Href, filter?: (n: NodeRow) => boolean) {
  const names = clusterNames(f);
  const perNode = new Map<string, number>();
  for (const g of f.guests) perNode.set(`${g.cluster_id}/${g.node}`, (perNode.get(`${g.cluster_id}/${g.node}`) ?? 0) + 1);
  return f.nodes.filter((n) => !filter || filter(n)).map((n) => {
    const c = names.get(n.cluster_id) ?? '?';
    const online = n.status === 'online';
    const memUsed = n.mem_used;
    return {
      href: href(paths.node(c, n.node)),
      node: n.node,
      cluster: c,
      clusterHref: href(paths.cluster(c)),
      status: n.status,
      cpu: online ? withBar({ text: fmtPct(n.cpu), v: round3(n.cpu) }, n.cpu, f.thresholds) : NO_VALUE,
      mem: online ? withBar({ text: `${fmtBytes(memUsed)} / ${fmtBytes(n.mem_total)}`, v: ratio(memUsed, n.mem_total) ?? -1 }, ratio(memUsed, n.mem_total), f.thresholds) : NO_VALUE,
      disk: online ? withBar({ text: `${fmtBytes(n.rootfs_used)} / ${fmtBytes(n.rootfs_total)}`, v: ratio(n.rootfs_used, n.rootfs_total) ?? -1 }, ratio(n.rootfs_used, n.rootfs_total), f.thresholds) : NO_VALUE,
      load: online && n.load1 != null ? { text: `${n.load1.toFixed(2)} ${n.load5?.toFixed(2) ?? '–'} ${n.load15?.toFixed(2) ?? '–'}`, v: n.load1 } : NO_VALUE,
      uptime: online ? { text: fmtDuration(n.uptime), v: n.uptime ?? -1 } : NO_VALUE,
      guests: perNode.get(`${n.cluster_id}/${n.node}`) ?? 0,
    };
  });
}

/** Storage table rows; near full = used/total ≥ nearFullRatio. */
export function buildStorageRows(f: Fleet, href: Href, filter?: (s: StorageRow) => boolean) {
  const names = clusterNames(f);
  return f.storages.filter((s) => !filter || filter(s)).map((s) => {
    const c = names.get(s.cluster_id) ?? '?';
    const r = ratio(s.used, s.total);
    return {
      storage: s.storage,
      node: s.node,
      nodeHref: href(paths.node(c, s.node)),
      cluster: c,
      clusterHref: href(paths.cluster(c)),
      type: s.type ?? '',
      shared: s.shared === 1,
      status: s.status,
      used: { text: fmtBytes(s.used), v: s.used ?? -1 },
      total: { text: fmtBytes(s.total), v: s.total ?? -1 },
      pct: withBar({ text: fmtPct(r), v: r === null ? -1 : round3(r) }, r, f.thresholds),
      nearFull: r !== null && shownPct(r) >= f.nearFullRatio * 100, // attention (#14): judged on the number shown
    };
  });
}

/**
 * Storages near full, judged on the number the tables show (attention #14). A shared storage
 * (NFS, Ceph) is reported by every node of its cluster: it counts once per cluster, when any of its
 * node rows is near full.
 */
export function countStorageNearFull(f: Pick<Fleet, 'storages' | 'nearFullRatio'>): number {
  const keys = new Set<string>();
  for (const s of f.storages) {
    if (shownPct(ratio(s.used, s.total) ?? 0) < f.nearFullRatio * 100) continue;
    keys.add(s.shared === 1 ? `${s.cluster_id}/*/${s.storage}` : `${s.cluster_id}/${s.node}/${s.storage}`);
  }
  return keys.size;
}

/** Nodes online and offline; guests running, stopped and other (templates apart). */
export function countFleet(f: Pick<Fleet, 'nodes' | 'guests'>) {
  const n = { nodesOnline: 0, nodesOffline: 0, guestsRunning: 0, guestsStopped: 0, guestsOther: 0, templates: 0 };
  for (const x of f.nodes) if (x.status === 'online') n.nodesOnline++; else n.nodesOffline++;
  for (const g of f.guests) {
    if (g.template === 1) n.templates++;
    else if (g.status === 'running') n.guestsRunning++;
    else if (g.status === 'stopped') n.guestsStopped++;
    else n.guestsOther++;
  }
  return n;
}

/** Clusters index rows: quorum, node and guest counts and poll state per cluster. */
export function buildClusterIndexRows(d: Pick<Fleet, 'clusters' | 'nodes' | 'guests'>, href: Href) {
  const nodesBy = groupBy(d.nodes, (n) => n.cluster_id);
  const guestsBy = groupBy(d.guests, (g) => g.cluster_id);
  return d.clusters.map((c) => {
    const k = countFleet({ nodes: nodesBy.get(c.id) ?? [], guests: guestsBy.get(c.id) ?? [] });
    const nodes = k.nodesOnline + k.nodesOffline;
    const guests = k.guestsRunning + k.guestsStopped + k.guestsOther;
    return {
      name: c.name,
      href: href(paths.cluster(c.name)),
      quorum: quorumText(c),
      ok: c.last_error === null && c.quorate !== 0 && k.nodesOffline === 0,
      nodes: { text: `${k.nodesOnline} / ${nodes} online`, v: nodes },
      guests: { text: `${k.guestsRunning} / ${guests} running`, v: guests },
      version: c.pve_version ?? '–',
      lastOk: fmtTime(c.last_ok_at),
      lastError: c.last_error ?? '',
    };
  });
}

/** The fleet summary cards of the overview. */
export function buildSummary(f: Fleet, href: Href) {
  return {
    clusters: f.clusters.map((c) => ({
      name: c.name,
      href: href(paths.cluster(c.name)),
      quorate: quorumText(c),
      ok: c.last_error === null && c.quorate !== 0,
      lastError: c.last_error,
    })),
    ...countFleet(f),
    storageNearFull: countStorageNearFull(f),
    failedTasks24h: f.failedTasks24h,
    failedActions24h: f.failedActions24h,
  };
}

/** Per-cluster facts for its page. */
export function buildClusterFacts(c: ClusterRow): Array<{ label: string; text: string }> {
  return [
    { label: 'Proxmox cluster name', text: c.pve_name ?? '(standalone host)' },
    { label: 'Quorum', text: quorumText(c) },
    { label: 'Nodes', text: String(c.node_count ?? '–') },
    { label: 'Version', text: c.pve_version ?? '–' },
    { label: 'Endpoint', text: c.endpoint ?? '–' },
    { label: 'Last error', text: c.last_error ?? 'none' },
  ];
}

/** Per-node facts for its page. */
export function buildNodeFacts(n: NodeRow) {
  const availUsed = n.mem_total != null && n.mem_available != null ? n.mem_total - n.mem_available : null;
  // live/unit/of (charts #14 item 3, partials/live-attrs.eta): values the page's JavaScript keeps equal to the charts' last points.
  return [
    { label: 'Status', text: n.status },
    { label: 'IP', text: n.ip ?? '–' },
    { label: 'CPU', text: fmtPct(n.cpu), live: 'cpu', unit: 'pct' },
    { label: 'IO wait', text: fmtPct(n.iowait), live: 'io', unit: 'pct' },
    { label: 'CPU cores', text: n.maxcpu == null ? '–' : String(n.maxcpu) },
    { label: 'CPU model', text: n.cpu_model ?? '–' },
    { label: 'Load (1 min)', text: n.load1 == null ? '–' : n.load1.toFixed(2), live: 'load', unit: 'load' },
    { label: 'Load (5, 15 min)', text: [n.load5, n.load15].map((x) => (x == null ? '–' : x.toFixed(2))).join(' ') },
    { label: 'Memory used', text: `${fmtBytes(n.mem_used)} / ${fmtBytes(n.mem_total)}`, live: 'mem', unit: 'mib', of: n.mem_total },
    { label: 'Memory used (excl. cache)', text: `${fmtBytes(availUsed)} / ${fmtBytes(n.mem_total)}`, live: 'avail', unit: 'mib', of: n.mem_total },
    { label: 'Swap', text: `${fmtBytes(n.swap_used)} / ${fmtBytes(n.swap_total)}` },
    { label: 'Root fs', text: `${fmtBytes(n.rootfs_used)} / ${fmtBytes(n.rootfs_total)}` },
    { label: 'Network in / out', text: `${fmtRate(n.netin_bps)} / ${fmtRate(n.netout_bps)}`, live: 'ni,no', unit: 'rate' },
    { label: 'Uptime', text: fmtDuration(n.uptime), liveUptime: true },
    { label: 'Kernel', text: n.kernel ?? '–' },
    { label: 'PVE version', text: n.pve_version ?? '–' },
    { label: 'Last seen', text: fmtTime(n.last_seen) },
  ];
}

/** A cluster's quorum as the pages show it. */
export const quorumText = (c: Pick<ClusterRow, 'quorate'>) => (c.quorate === null ? 'standalone' : c.quorate ? 'quorate' : 'NOT quorate');

export function clusterNames(f: Pick<Fleet, 'clusters'>): Map<number, string> {
  return new Map(f.clusters.map((c) => [c.id, c.name]));
}

/** Proxmox separates tags with ";" (also "," or space in older versions). */
export function splitTags(tags: string | null): string[] {
  return tags ? tags.split(/[;, ]+/).filter(Boolean) : [];
}

/** attention (#14): `c` with the bar of usage fraction `r` (none for null), coloured like the attention list judges it. */
function withBar(c: Cell, r: number | null | undefined, t: AttentionThresholds = DEFAULT_THRESHOLDS): Cell {
  if (r === null || r === undefined || !Number.isFinite(r)) return c;
  return { ...c, bar: { pct: Math.min(100, Math.max(0, shownPct(r))), level: usageLevel(r, t) } };
}

const round3 = (x: number | null) => (x === null ? -1 : Math.round(x * 1000) / 1000);
