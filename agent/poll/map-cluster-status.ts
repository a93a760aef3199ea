// GET /cluster/status → cluster info and membership (pve-api.md §3.2). Pure.
import type { ClusterStatusItem } from '../pve/pve-schemas.ts';

export interface Member {
  node: string;
  nodeid: number | null;
  online: boolean;
  local: boolean;
  ip: string | null;
  level: string | null;
}

export interface ClusterMembership {
  /** The corosync cluster name; null for a standalone host (no `type:"cluster"` entry). */
  pveName: string | null;
  quorate: boolean | null;
  nodeCount: number;
  members: Member[];
  /** Same value for every entry that reaches the same cluster: name + sorted members, or the standalone node. */
  identity: string;
}

/** Maps the /cluster/status list; a standalone host is keyed by its node name. */
export function mapClusterStatus(items: ClusterStatusItem[]): ClusterMembership {
  const cluster = items.find((i) => i.type === 'cluster');
  const members: Member[] = items
    .filter((i) => i.type === 'node')
    .map((i) => ({
      node: i.name,
      nodeid: i.nodeid ?? null,
      online: i.online ?? false,
      local: i.local ?? false,
      ip: i.ip ?? null,
      level: i.level ? i.level : null,
    }))
    .sort((a, b) => a.node.localeCompare(b.node));
  const names = members.map((m) => m.node);
  return {
    pveName: cluster ? cluster.name : null,
    quorate: cluster ? (cluster.quorate ?? null) : null,
    nodeCount: cluster?.nodes ?? members.length,
    members,
    identity: cluster ? `cluster:${cluster.name}:${names.join(',')}` : `standalone:${names[0] ?? '?'}`,
  };
}
