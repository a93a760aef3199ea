// Pure: inventory, failed tasks, unexplained stops, storage trend, health signals and firing
// alerts in → the overview's "needs attention" list out, worst first, each item linking to its
// page (issue #14 item 1). Also the one rule that turns a usage fraction into ok / warn / crit, so
// the list, the summary and the bars can never disagree ("Storage near full: 0" beside "90 %").
import type { AttentionRows } from '../store/site-attention.repository.ts';
import type { AttentionItem as HealthSignal } from '../health/build-health-model.ts';
import type { Fleet } from './build-fleet-model.ts';
import type { PollErrorRow } from '../store/poll-errors.repository.ts';
import type { z } from 'zod';
import { AttentionConfig } from '../config/config.schema.ts';
import { clip, fmtDuration, fmtPct, fmtTime, isoTime } from './format.ts';
import { paths } from './site-paths.ts';
import { groupBy } from './group-by.ts';

export type AttentionLevel = 'crit' | 'warn';
export type UsageLevel = 'ok' | AttentionLevel;

/** config site.attention: percent as displayed; fullWithinDays 0 is off. */
export type AttentionThresholds = z.infer<typeof AttentionConfig>;

export const DEFAULT_THRESHOLDS: AttentionThresholds = AttentionConfig.parse({});

type AttentionKind = 'cluster' | 'poll' | 'node' | 'storage' | 'guest' | 'task' | 'health' | 'alerts';

export type AttentionInput = Pick<Fleet, 'clusters' | 'nodes' | 'guests' | 'storages'> & AttentionRows & {
  /** Node-level poll problems (595/596, malformed answers), newest first. */
  pollErrors: PollErrorRow[];
  health: HealthSignal[];
  /** Firing alerts (#16): how many, and how many of them critical. */
  alerts: { firing: number; critical: number } | null;
  /** Build time (epoch s). */
  now: number;
  /** Data older than this is stale (the banner's threshold). */
  staleAfterSeconds: number;
  /** Poll problems newer than this count as "now" (two poll intervals). */
  recentSeconds: number;
  thresholds: AttentionThresholds;
};

/** The number fmtPct prints for a fraction: one decimal below 10 %, whole percent above. */
export function shownPct(ratio: number): number {
  const p = ratio * 100;
  return p < 10 ? Math.round(p * 10) / 10 : Math.round(p);
}

/** ok / warn / crit for a usage fraction, judged on the number as displayed (one threshold, one rounding). */
export function usageLevel(ratio: number | null | undefined, t: Pick<AttentionThresholds, 'storageWarnPct' | 'storageCritPct'>): UsageLevel {
  if (ratio === null || ratio === undefined || !Number.isFinite(ratio)) return 'ok';
  const p = shownPct(ratio);
  return p >= t.storageCritPct ? 'crit' : p >= t.storageWarnPct ? 'warn' : 'ok';
}

/**
 * Days until a storage is full on the least-squares line through its hourly fill, or null when
 * there is too little history (fewer than 6 points or 6 hours) or it is not growing.
 */
export function daysUntilFull(points: ReadonlyArray<{ ts: number; used: number }>, total: number | null): number | null {
  if (!total || points.length < 6) return null;
  const first = points[0]!.ts;
  const last = points[points.length - 1]!.ts;
  if (last - first < 6 * 3600) return null;
  let sx = 0, sy = 0, sxx = 0, sxy = 0;
  for (const p of points) {
    const x = (p.ts - first) / 86_400;
    sx += x; sy += p.used; sxx += x * x; sxy += x * p.used;
  }
  const n = points.length;
  const den = n * sxx - sx * sx;
  if (den === 0) return null;
  const slope = (n * sxy - sx * sy) / den; // bytes per day
  if (!(slope > 0)) return null;
  const usedNow = sy / n + slope * ((last - first) / 86_400 - sx / n);
  return Math.max(0, (total - usedNow) / slope);
}

/** One line of the list stays one short paragraph; the page it links to has the whole message. */
const clipLine = (s: string) => clip(s, 160);

/** An item of the list: `subject` is what it is ("cluster1/pve2", "local on pve1", "103 web-1"), `href` root-relative; `score` its rank within its level and kind (higher first). */
type Scored = { level: AttentionLevel; kind: AttentionKind; subject: string; text: string; href: string; score: number };

const KIND_RANK: Record<AttentionKind, number> = { cluster: 0, poll: 1, node: 2, storage: 3, guest: 4, task: 5, health: 6, alerts: 7 };
/** Failed tasks listed one by one up to this many; the rest as one line linking the tasks page. */
const MAX_TASK_ITEMS = 10;
/** Backup findings listed one by one; past that, one line per level links the Backups page (a fleet without backups is one finding, not a screenful). */
const MAX_BACKUP_ITEMS = 5;
const HA_BAD = new Set(['error', 'fence', 'recovery']);
const PAUSED = new Set(['paused', 'suspended', 'prelaunch']);

/** The attention list of the overview. Links are relative to the site root (prefix them for a page). */
export function buildAttention(a: AttentionInput) {
  const items: Scored[] = [];
  const push = (level: AttentionLevel, kind: AttentionKind, subject: string, text: string, href: string, score = 0) => items.push({ level, kind, subject, text, href, score });
  const names = new Map(a.clusters.map((c) => [c.id, c.name]));
  const th = a.thresholds;
  let dataTs: number | null = null;

  for (const c of a.clusters) {
    const href = paths.cluster(c.name);
    if (c.last_sample_ts !== null && (dataTs === null || c.last_sample_ts > dataTs)) dataTs = c.last_sample_ts;
    if (c.quorate === 0) push('crit', 'cluster', c.name, 'cluster has no quorum', href);
    if (c.last_error !== null) {
      push('crit', 'poll', c.name, `polling fails${c.last_ok_at ? ` since ${fmtTime(c.last_ok_at)}` : ''}: ${c.last_error}`, paths.agent);
    } else if (c.last_sample_ts === null) {
      push('warn', 'poll', c.name, 'no data yet', paths.agent);
    } else if (a.now - c.last_sample_ts > a.staleAfterSeconds) {
      push('crit', 'poll', c.name, `data is stale: last data ${fmtTime(c.last_sample_ts)} (${fmtDuration(a.now - c.last_sample_ts)} ago)`, paths.agent);
    }
  }

  // Nodes: offline, or some of their API calls failing in the latest cycles.
  const apiErrors = groupBy(a.pollErrors.filter((e) => e.node !== null && a.now - e.ts <= a.recentSeconds), (e) => `${e.cluster_id}/${e.node}`);
  for (const n of a.nodes) {
    const c = names.get(n.cluster_id) ?? '?';
    const href = paths.node(c, n.node);
    const errs = apiErrors.get(`${n.cluster_id}/${n.node}`);
    if (n.status !== 'online') push('crit', 'node', `${c}/${n.node}`, `node ${n.status}${n.last_seen ? `, last seen ${fmtTime(n.last_seen)}` : ''}`, href);
    else if (errs) push('warn', 'node', `${c}/${n.node}`, clipLine(`${errs.length} API call${errs.length === 1 ? '' : 's'} failing: ${errs[0]!.code} ${errs[0]!.message}`), href);
  }

  // Storage: shared storage once per cluster (its worst node row), the rest per node.
  const trend = groupBy(a.storageTrend, (p) => `${p.cluster_id}/${p.node}/${p.storage}`);
  const storageItems = new Map<string, Scored>();
  for (const s of a.storages) {
    const c = names.get(s.cluster_id) ?? '?';
    const key = s.shared === 1 ? `${c}/*/${s.storage}` : `${c}/${s.node}/${s.storage}`;
    const subject = s.shared === 1 ? `${s.storage} (shared, ${c})` : `${s.storage} on ${c}/${s.node}`;
    const href = s.shared === 1 ? paths.storage : paths.node(c, s.node);
    const r = s.used !== null && s.total ? s.used / s.total : null;
    const lvl = usageLevel(r, th);
    let item: Scored | null = null;
    if (s.status !== 'available') item = { level: 'warn', kind: 'storage', subject, text: `not available (status ${s.status})`, href, score: 0 };
    else if (lvl !== 'ok') item = { level: lvl, kind: 'storage', subject, text: `${fmtPct(r)} full`, href, score: r ?? 0 };
    else if (th.fullWithinDays > 0) {
      const days = daysUntilFull(trend.get(`${s.cluster_id}/${s.node}/${s.storage}`) ?? [], s.total);
      if (days !== null && days <= th.fullWithinDays) item = { level: 'warn', kind: 'storage', subject, text: `${fmtPct(r)} full, full in about ${days < 1 ? 'less than a day' : `${Math.round(days)} days`} on its 7-day trend`, href, score: 1 - days / 1000 };
    }
    if (!item) continue;
    const had = storageItems.get(key);
    if (!had || (item.level !== had.level ? item.level === 'crit' : item.score > had.score)) storageItems.set(key, item);
  }
  items.push(...storageItems.values());

  // Guests: paused, locked, HA in error, stopped with nobody asking.
  const byKey = new Map(a.guests.map((g) => [`${g.cluster_id}/${g.vmid}`, g]));
  const haGuests = new Set<string>();
  for (const g of a.guests) {
    if (g.template === 1) continue;
    const c = names.get(g.cluster_id) ?? '?';
    const subject = `${g.vmid} ${g.name ?? ''}`.trim();
    const href = paths.guest(c, g.vmid);
    if (g.hastate !== null && HA_BAD.has(g.hastate)) {
      push('crit', 'guest', subject, `HA state ${g.hastate} (${c}/${g.node})`, href);
      haGuests.add(`${c}/${g.vmid}`);
    }
    if (PAUSED.has(g.status)) push('warn', 'guest', subject, `${g.status} (${c}/${g.node})`, href);
    if (g.lock !== null && g.lock !== '') push('warn', 'guest', subject, `locked: ${g.lock} (${c}/${g.node})`, href);
  }
  for (const s of a.unexplainedStops) {
    const g = byKey.get(`${s.cluster_id}/${s.vmid}`);
    if (!g || g.status !== 'stopped' || g.template === 1) continue;
    const c = names.get(s.cluster_id) ?? '?';
    push('warn', 'guest', `${g.vmid} ${g.name ?? ''}`.trim(), `stopped at ${fmtTime(s.ts)} without a stop action or task (${c}/${g.node})`, paths.guest(c, g.vmid), s.ts / 1e10);
  }

  // Failed tasks of the last 24 h (backups included).
  a.failedTasks.slice(0, MAX_TASK_ITEMS).forEach((t) => {
    const c = names.get(t.cluster_id) ?? '?';
    const g = t.vmid !== null ? byKey.get(`${t.cluster_id}/${t.vmid}`) : undefined;
    const subject = g ? `${g.vmid} ${g.name ?? ''}`.trim() : t.vmid !== null ? String(t.vmid) : `${c}/${t.node}`;
    const href = g ? paths.guest(c, g.vmid) : paths.node(c, t.node);
    push('crit', 'task', subject, clipLine(`${t.type} failed at ${fmtTime(t.endtime ?? t.starttime)}: ${t.status ?? 'unknown error'}`), href, (t.endtime ?? t.starttime) / 1e10);
  });
  if (a.failedTasks.length > MAX_TASK_ITEMS) push('crit', 'task', 'tasks', `${a.failedTasks.length - MAX_TASK_ITEMS} more failed tasks in the last 24 h`, paths.tasks, -1);

  // Health signals (#15), without the HA services already listed as guests.
  const backups = { crit: 0, warn: 0 };
  for (const h of a.health) {
    const ha = h.signal === 'ha' ? /^HA (?:vm|ct):(\d+)/.exec(h.text) : null;
    if (ha && haGuests.has(`${h.cluster}/${ha[1]}`)) continue;
    if (h.signal === 'backup' && ++backups[h.level === 'bad' ? 'crit' : 'warn'] > MAX_BACKUP_ITEMS) continue;
    const href = h.signal === 'backup' ? paths.backups : h.node ? paths.node(h.cluster, h.node) : paths.cluster(h.cluster);
    push(h.level === 'bad' ? 'crit' : 'warn', 'health', h.node ? `${h.cluster}/${h.node}` : h.cluster, `${h.signal}: ${h.text}`, href);
  }
  for (const level of ['crit', 'warn'] as const) {
    const more = backups[level] - MAX_BACKUP_ITEMS;
    if (more > 0) push(level, 'health', 'backups', `backup: ${more} more guest${more === 1 ? '' : 's'} ${level === 'crit' ? 'without a good backup in time' : 'in no backup job'}, on the Backups page`, paths.backups, -1);
  }

  // Firing alerts (#16): the count, linking the Alerts page.
  if (a.alerts && a.alerts.firing > 0) {
    push(a.alerts.critical > 0 ? 'crit' : 'warn', 'alerts', 'alerts', `${a.alerts.firing} alert${a.alerts.firing === 1 ? '' : 's'} firing${a.alerts.critical ? `, ${a.alerts.critical} critical` : ''}`, 'alerts.html');
  }

  items.sort((x, y) => (x.level === y.level ? 0 : x.level === 'crit' ? -1 : 1) || KIND_RANK[x.kind] - KIND_RANK[y.kind] || y.score - x.score || x.subject.localeCompare(y.subject) || x.text.localeCompare(y.text));
  const out = items.map(({ score: _s, ...i }) => i);
  const at = dataTs ?? a.now;
  return {
    items: out,
    counts: { crit: out.filter((i) => i.level === 'crit').length, warn: out.filter((i) => i.level === 'warn').length },
    allClear: out.length === 0,
    dataText: fmtTime(at),
    dataIso: isoTime(at),
  };
}

export type AttentionModel = ReturnType<typeof buildAttention>;

/** The same model with every link made relative to a page (`root` is its way back to the site root). */
export function attentionForPage(m: AttentionModel, root: string): AttentionModel {
  return { ...m, items: m.items.map((i) => ({ ...i, href: root + i.href })) };
}
