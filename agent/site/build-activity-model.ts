// Pure: tasks, actions, poll runs and the agent's own state → rows of the tasks, actions and
// agent status pages (and the task/action lists of node and guest pages).
import { fmtDuration, fmtTime } from './format.ts';
import type { ActionRow, PollRunRow, TaskRow } from '../store/site-activity.repository.ts';
import type { ClusterRow } from '../store/site-inventory.repository.ts';
import type { Href } from './build-fleet-model.ts';
import { paths } from './site-paths.ts';
import { actionDuration, formatActionParams, splitUpid, upidShort, type GuestNames } from './build-activity-details.ts'; // issue 14 item 6 (pages)

/** Task rows; `now` (epoch s) is used for the duration of running tasks. */
export function buildTaskRows(tasks: TaskRow[], names: Map<number, string>, knownGuests: Set<string>, href: Href, now: number, guestNames?: GuestNames) {
  return tasks.map((t) => {
    const c = names.get(t.cluster_id) ?? '?';
    const running = t.endtime === null;
    const dur = (t.endtime ?? now) - t.starttime;
    return {
      cluster: c,
      clusterHref: href(paths.cluster(c)),
      node: t.node,
      nodeHref: href(paths.node(c, t.node)),
      vmid: t.vmid,
      guestHref: t.vmid !== null && knownGuests.has(`${c}/${t.vmid}`) ? href(paths.guest(c, t.vmid)) : null,
      type: t.type,
      user: t.tokenid ? `${t.user ?? ''}!${t.tokenid}` : (t.user ?? ''),
      start: { text: fmtTime(t.starttime), v: t.starttime },
      duration: { text: `${fmtDuration(dur)}${running ? ' (running)' : ''}`, v: dur },
      status: t.status ?? (running ? 'running' : ''),
      state: running ? 'running' : t.ok === 1 ? 'ok' : t.ok === 0 ? 'failed' : 'unknown',
      ...(guestNames && { guestName: t.vmid !== null ? (guestNames.get(`${c}/${t.vmid}`) ?? '') : '' }),
    };
  });
}

/** Action rows (queue and history), with name, parameters, duration and the UPID taken out of the message (issue 14 item 6). */
export function buildActionRows(actions: ActionRow[], knownGuests: Set<string>, clusters: Set<string>, href: Href, details: { guestNames: GuestNames; now: number }) {
  return actions.map((a) => {
    const split = splitUpid([a.error_code, a.message].filter(Boolean).join(': '), a.upid);
    return {
      id: a.id,
      cluster: a.cluster ?? '',
      clusterHref: a.cluster && clusters.has(a.cluster) ? href(paths.cluster(a.cluster)) : null,
      vmid: a.vmid,
      guestHref: a.cluster && a.vmid !== null && knownGuests.has(`${a.cluster}/${a.vmid}`) ? href(paths.guest(a.cluster, a.vmid)) : null,
      action: a.action ?? '',
      state: a.state,
      outcome: a.outcome ?? '',
      received: { text: fmtTime(a.received_at), v: a.received_at },
      finished: { text: fmtTime(a.finished_at), v: a.finished_at ?? 0 },
      submitter: a.submitter ?? '',
      reason: a.reason ?? '',
      message: split.message,
      guestName: a.cluster && a.vmid !== null ? (details.guestNames.get(`${a.cluster}/${a.vmid}`) ?? '') : '',
      params: formatActionParams(a.params),
      duration: actionDuration(a, details.now),
      upid: split.upid,
      upidShort: split.upid ? upidShort(split.upid) : '',
    };
  });
}

export type TaskRowVM = ReturnType<typeof buildTaskRows>[number];

/** Per-cluster cycle timings, requests and errors over the poll runs given. */
export function buildClusterAgentRows(clusters: ClusterRow[], runs: PollRunRow[], href: Href) {
  return clusters.map((c) => {
    const mine = runs.filter((r) => r.cluster_id === c.id);
    const last = mine[0];
    const durations = mine.map((r) => r.duration_ms);
    const avg = durations.length ? durations.reduce((a, b) => a + b, 0) / durations.length : null;
    const lastErr = mine.find((r) => r.error);
    return {
      cluster: c.name,
      href: href(paths.cluster(c.name)),
      runs: mine.length,
      okRuns: mine.filter((r) => r.ok === 1).length,
      lastDuration: last ? `${last.duration_ms} ms` : '–',
      avgDuration: avg === null ? '–' : `${Math.round(avg)} ms`,
      maxDuration: durations.length ? `${Math.max(...durations)} ms` : '–',
      requests: mine.reduce((a, r) => a + r.requests, 0),
      errors: mine.reduce((a, r) => a + r.errors, 0),
      endpoint: last?.endpoint ?? c.endpoint ?? '–',
      lastError: lastErr ? `${fmtTime(lastErr.started_at)}: ${lastErr.error}` : 'none',
      lastRun: last ? fmtTime(last.started_at) : '–',
    };
  });
}

/** Task types and actions shown on guest charts: short, and restricted to a harmless alphabet. */
export function annotationLabel(s: string): string {
  return s.replace(/[^A-Za-z0-9 _.-]/g, '').slice(0, 24) || 'task';
}
