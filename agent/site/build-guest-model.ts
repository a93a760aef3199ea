// Pure: one guest's inventory row, current values, tasks and actions → its page model and its
// document in its bucket part's JSON (format in site-templates/DATA-FORMAT.md).
import { annotationLabel, buildActionRows, buildTaskRows } from './build-activity-model.ts';
import { splitTags, type GuestNow, type Href } from './build-fleet-model.ts';
import type { ActionRow, TaskRow } from '../store/site-activity.repository.ts';
import { fmtBytes, fmtDuration, fmtPct, fmtRate, fmtTime } from './format.ts';
import type { GuestRow } from '../store/site-inventory.repository.ts';
import { paths } from './site-paths.ts';
import { toJson } from './encode-json.ts';

export interface GuestInput {
  cluster: string;
  clusterId: number;
  guest: GuestRow;
  now: GuestNow | undefined;
  tasks: TaskRow[];
  actions: ActionRow[];
  nowSec: number;
}

/** The guest page's view model. */
export function buildGuestPage(i: GuestInput, href: Href, knownGuests: Set<string>, clusters: Set<string>) {
  const g = i.guest;
  const n = i.now;
  const names = new Map([[i.clusterId, i.cluster]]);
  return {
    name: g.name ?? `vm ${g.vmid}`,
    vmid: g.vmid,
    cluster: i.cluster,
    clusterHref: href(paths.cluster(i.cluster)),
    node: g.node,
    nodeHref: href(paths.node(i.cluster, g.node)),
    status: g.status,
    tags: splitTags(g.tags),
    facts: [
      { label: 'Type', text: g.type === 'qemu' ? 'QEMU VM' : 'LXC container' },
      { label: 'Status', text: g.status + (g.lock ? ` (lock: ${g.lock})` : '') },
      { label: 'Template', text: g.template ? 'yes' : 'no' },
      { label: 'CPUs', text: g.maxcpu === null ? '–' : String(g.maxcpu) },
      { label: 'Memory', text: fmtBytes(g.maxmem) },
      { label: 'Disk', text: fmtBytes(g.maxdisk) },
      { label: 'Pool', text: g.pool ?? '–' },
      { label: 'HA state', text: g.hastate ?? '–' },
      { label: 'First seen', text: fmtTime(g.first_seen) },
      { label: 'Last change', text: fmtTime(g.changed_at) },
    ],
    current: n
      ? [
          // live/unit/of (charts #14 item 3): the page's JavaScript keeps each value equal to its chart's last point.
          { label: 'CPU', text: fmtPct(n.cpu), live: 'cpu', unit: 'pct' },
          { label: 'Memory', text: `${fmtBytes(n.mem)} / ${fmtBytes(g.maxmem)}`, live: 'mem', unit: 'mib', of: g.maxmem },
          ...(g.type === 'lxc' ? [{ label: 'Root disk', text: `${fmtBytes(n.disk)} / ${fmtBytes(g.maxdisk)}`, live: 'disk', unit: 'mib' as const, of: g.maxdisk }] : []),
          { label: 'Network in / out', text: `${fmtRate(n.netin)} / ${fmtRate(n.netout)}`, live: 'ni,no', unit: 'rate' },
          { label: 'Disk read / write', text: `${fmtRate(n.diskread)} / ${fmtRate(n.diskwrite)}`, live: 'dr,dw', unit: 'rate' },
          { label: 'Uptime', text: fmtDuration(n.uptime), liveUptime: true },
        ]
      : [{ label: 'Status', text: g.status }],
    asOf: n ? fmtTime(n.ts) : fmtTime(i.nowSec),
    tasks: buildTaskRows(i.tasks, names, knownGuests, href, i.nowSec),
    actions: buildActionRows(i.actions, knownGuests, clusters, href, { guestNames: new Map([[`${i.cluster}/${g.vmid}`, g.name ?? '']]), now: i.nowSec }), // issue 14 item 6 (pages): parameters, duration, UPID
  };
}

/** Chart markers: task starts and action requests of this guest. */
export function guestAnnotations(tasks: TaskRow[], actions: ActionRow[]): Array<{ ts: number; label: string; failed: boolean }> {
  return [
    ...tasks.map((t) => ({ ts: t.starttime, label: annotationLabel(t.type.replace(/^(qm|vz)/, '')), failed: t.ok === 0 })),
    ...actions.filter((a) => a.action).map((a) => ({ ts: a.received_at, label: annotationLabel(a.action!), failed: a.outcome === 'failed' })),
  ].sort((a, b) => a.ts - b.ts);
}

/** One guest's document in its part's JSON: inventory, current values as of its last refresh, recent activity. */
export function buildGuestDoc(i: GuestInput) {
  const g = i.guest;
  const n = i.now;
  return {
    cluster: i.cluster,
    vmid: g.vmid,
    name: g.name,
    type: g.type,
    node: g.node,
    status: g.status,
    template: g.template === 1,
    tags: splitTags(g.tags),
    pool: g.pool,
    lock: g.lock,
    maxcpu: g.maxcpu,
    maxmem: g.maxmem,
    maxdisk: g.maxdisk,
    as_of: n?.ts ?? null,
    current: n ? { cpu: n.cpu === null ? null : Math.round(n.cpu * 1000) / 1000, mem: n.mem, disk: n.disk, netin: n.netin, netout: n.netout, diskread: n.diskread, diskwrite: n.diskwrite, uptime: n.uptime } : null,
    tasks: i.tasks.slice(0, 20).map((t) => ({ upid: t.upid, type: t.type, user: t.user, start: t.starttime, end: t.endtime, status: t.status, ok: t.ok === null ? null : t.ok === 1 })),
    actions: i.actions.slice(0, 20).map((a) => ({ id: a.id, action: a.action, state: a.state, outcome: a.outcome, received: a.received_at, finished: a.finished_at })),
    annotations: guestAnnotations(i.tasks, i.actions),
  };
}

/** The JSON of a bucket part (DATA-FORMAT.md): the part's history files, its guests' documents by vmid. */
export function buildPartJson(cluster: string, bucket: string, files: { raw: string[]; day: string[]; long: string | null }, guests: GuestInput[]): string {
  return toJson({ v: 1, files: { ...files, live: `../../../${paths.live(cluster, bucket)}` }, g: Object.fromEntries(guests.map((i) => [i.guest.vmid, buildGuestDoc(i)])) });
}
