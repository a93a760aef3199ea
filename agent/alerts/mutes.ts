// Inhibition, pure: which instances are muted, and why.
//  - topology: a firing instance of a rule with `mutes: true` (cluster unreachable, node offline,
//    storage unavailable) mutes every other rule's instance carrying all of its label values
//    (a node offline {cluster, node} mutes the guests on that node: they carry cluster and node);
//  - our own work: an action the agent runs on a guest, or a backup running on it, mutes that
//    guest's instances (matched by cluster and vmid) while it runs. A backup whose mode is known
//    (the guest's backup jobs agree on one) mutes only what that mode causes: `stop` stops the
//    guest, `suspend` pauses (or stops) it, `snapshot` leaves it running and mutes nothing.
export interface Muter {
  rule: string;
  labels: Readonly<Record<string, string>>;
}

/** A guest busy with an action or a backup, from the store. */
export interface BusyGuest {
  cluster: string;
  vmid: number;
  /** e.g. `action shutdown (id abc)`, `backup task UPID:…`. */
  why: string;
  /** Only these rules are muted; absent: every rule of the guest. */
  rules?: readonly string[];
}

/** What a running backup causes, by vzdump mode: the rules it mutes (absent: all, mode unknown). */
export const BACKUP_MODE_MUTES: Readonly<Record<string, readonly string[]>> = {
  stop: ['guest-stopped-unexpectedly'],
  suspend: ['guest-stopped-unexpectedly', 'guest-paused'],
  snapshot: [],
};

/**
 * A guest with a backup running (a vzdump task of its own, or its `backup` lock), given the mode
 * of its backup jobs when they agree on one (null: unknown — no job read, several modes, a job
 * without a mode): null when that mode causes nothing to mute.
 */
export function backupBusy(cluster: string, vmid: number, what: string, mode: string | null): BusyGuest | null {
  const rules = mode === null ? undefined : BACKUP_MODE_MUTES[mode];
  if (rules === undefined) return { cluster, vmid, why: `${what} (backup mode unknown)` };
  if (rules.length === 0) return null;
  return { cluster, vmid, why: `${what} (backup in ${mode} mode)`, rules };
}

const describe = (labels: Readonly<Record<string, string>>) => Object.entries(labels).map(([k, v]) => `${k}=${v}`).join(', ');

/** The mute reason of one instance, or null. */
export function muteReason(rule: string, labels: Readonly<Record<string, string>>, muters: readonly Muter[], busy: ReadonlyMap<string, readonly BusyGuest[]>): string | null {
  for (const m of muters) {
    if (m.rule === rule) continue;
    const keys = Object.keys(m.labels);
    if (keys.length > 0 && keys.every((k) => k in labels && labels[k] === m.labels[k])) return `${m.rule} (${describe(m.labels)})`;
  }
  if (labels.cluster !== undefined && labels.vmid !== undefined) {
    const b = busy.get(`${labels.cluster}/${labels.vmid}`)?.find((x) => x.rules === undefined || x.rules.includes(rule));
    if (b) return b.why;
  }
  return null;
}

/** A guest busy with our work, as the store reads it: `backup` with the jobs' mode (null: unknown). */
export interface BusyRow {
  cluster: string;
  vmid: number;
  why: string;
  backup: boolean;
  mode: string | null;
}

/** The store's rows as mutes: a backup per its mode (nothing for a snapshot-mode backup). */
export function busyFromRows(rows: readonly BusyRow[]): BusyGuest[] {
  return rows.flatMap((r) => {
    if (!r.backup) return [{ cluster: r.cluster, vmid: r.vmid, why: r.why }];
    const b = backupBusy(r.cluster, r.vmid, r.why, r.mode);
    return b ? [b] : [];
  });
}

/** Busy guests keyed `cluster/vmid` (a guest can be busy for several reasons). */
export function busyIndex(busy: readonly BusyGuest[]): Map<string, BusyGuest[]> {
  const m = new Map<string, BusyGuest[]>();
  for (const b of busy) {
    const k = `${b.cluster}/${b.vmid}`;
    m.set(k, [...(m.get(k) ?? []), b]);
  }
  return m;
}
