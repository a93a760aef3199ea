// Inhibition, pure: which instances are muted, and why.
//  - topology: a firing instance of a rule with `mutes: true` (cluster unreachable, node offline,
//    storage unavailable) mutes every other rule's instance carrying all of its label values
//    (a node offline {cluster, node} mutes the guests on that node: they carry cluster and node);
//  - our own work: an action the agent runs on a guest, or a backup running on it, mutes that
//    guest's instances (matched by cluster and vmid) while it runs.
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
}

const describe = (labels: Readonly<Record<string, string>>) => Object.entries(labels).map(([k, v]) => `${k}=${v}`).join(', ');

/** The mute reason of one instance, or null. */
export function muteReason(rule: string, labels: Readonly<Record<string, string>>, muters: readonly Muter[], busy: ReadonlyMap<string, BusyGuest>): string | null {
  for (const m of muters) {
    if (m.rule === rule) continue;
    const keys = Object.keys(m.labels);
    if (keys.length > 0 && keys.every((k) => k in labels && labels[k] === m.labels[k])) return `${m.rule} (${describe(m.labels)})`;
  }
  if (labels.cluster !== undefined && labels.vmid !== undefined) {
    const b = busy.get(`${labels.cluster}/${labels.vmid}`);
    if (b) return b.why;
  }
  return null;
}

/** Busy guests keyed `cluster/vmid`. */
export function busyIndex(busy: readonly BusyGuest[]): Map<string, BusyGuest> {
  return new Map(busy.map((b) => [`${b.cluster}/${b.vmid}`, b]));
}
