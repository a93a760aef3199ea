/** A decoded Proxmox task id (pve-api.md §7.1). */
export interface Upid {
  node: string;
  pid: number;
  pstart: number;
  starttime: number;
  type: string;
  id: string;
  user: string;
  /** Set when the task was started by an API token: "user@realm!token" splits into user and tokenid. */
  tokenid: string | null;
}

const UPID_RE = /^UPID:([a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?):([0-9A-Fa-f]{8}):([0-9A-Fa-f]{8,9}):([0-9A-Fa-f]{8}):([^:\s/]+):([^:\s]*):([^:\s/]+):$/;

/** Decodes a UPID string; undefined when it is not one. */
export function parseUpid(upid: string): Upid | undefined {
  const m = UPID_RE.exec(upid);
  if (!m) return undefined;
  const [, node, pid, pstart, start, type, id, userField] = m as unknown as [string, string, string, string, string, string, string, string];
  const bang = userField.indexOf('!');
  return {
    node,
    pid: parseInt(pid, 16),
    pstart: parseInt(pstart, 16),
    starttime: parseInt(start, 16),
    type,
    id,
    user: bang === -1 ? userField : userField.slice(0, bang),
    tokenid: bang === -1 ? null : userField.slice(bang + 1),
  };
}

/** Encodes a UPID the way pve-common's UPID.pm does (printf "UPID:%s:%08X:%08X:%08X:%s:%s:%s:"). */
export function formatUpid(u: Omit<Upid, 'tokenid' | 'user'> & { user: string }): string {
  const hex = (n: number) => n.toString(16).toUpperCase().padStart(8, '0');
  return `UPID:${u.node}:${hex(u.pid)}:${hex(u.pstart)}:${hex(u.starttime)}:${u.type}:${u.id}:${u.user}:`;
}
