// What the chart code (site-templates/assets/charts.js) needs beyond the series, per page (issue 14
// items 2–4, issue 16 alert markers): who the page is about (to pick its alert intervals), its
// limits (drawn as lines), its status and since when (said instead of empty charts), task markers
// of a node, and why a node's network chart may be empty. Spread into a page's pageData. Pure.
import type { GuestRow, NodeRow } from '../store/site-inventory.repository.ts';
import type { TaskRow } from '../store/site-activity.repository.ts';
import { annotationLabel } from './build-activity-model.ts';
import { HealthEverySeconds } from '../config/health-config.schema.ts';

/** The node network read period when the site is not told the configured one (its default). */
const DEFAULT_NODE_NET_SECONDS = HealthEverySeconds.parse({}).nodeNetwork;

/** The alert intervals file (agent/alerts/site/alert-marks.model.ts), relative to the site root. */
export const ALERT_MARKS_PATH = 'data/alert-marks.json';

/** Guest pages; `since`: epoch seconds the status holds since (the row's last change), for "stopped since …". */
export function guestChartData(cluster: string, g: GuestRow, root: string) {
  return {
    cluster,
    vmid: g.vmid,
    status: g.status,
    template: g.template === 1,
    since: g.status === 'running' ? null : g.changed_at,
    limits: { mem: g.maxmem, disk: g.maxdisk },
    alertMarks: root + ALERT_MARKS_PATH,
  };
}

/**
 * Node pages: their task markers (task starts on this node, failed ones marked) and the reason the
 * network chart can be empty: Proxmox's node status has no network counters, so a node's network
 * exists only where its rrddata (agent/poll/node-net-tier.ts, hourly) or backfill filled it in.
 */
export function nodeChartData(cluster: string, n: NodeRow, tasks: TaskRow[], root: string, netEverySeconds = DEFAULT_NODE_NET_SECONDS) {
  return {
    cluster,
    node: n.node,
    status: n.status,
    since: n.status === 'online' ? null : n.last_seen,
    limits: { mem: n.mem_total },
    alertMarks: root + ALERT_MARKS_PATH,
    annotations: tasks
      .filter((t) => t.node === n.node)
      .map((t) => ({ ts: t.starttime, label: annotationLabel(t.vmid === null ? t.type : `${t.type.replace(/^(qm|vz)/, '')} ${t.vmid}`), failed: t.ok === 0 }))
      .sort((a, b) => a.ts - b.ts),
    netSource: `no live source: a node's network comes from its rrddata, read every ${Math.round(netEverySeconds / 60)} minutes (Proxmox's node status has none).`,
  };
}
