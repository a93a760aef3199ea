// Fresh state of one guest, read just for verifying an action (pve-api.md §3.3, §5.3, §6.4).
import { PmiError } from '../errors.ts';
import type { PveClient } from '../pve/pve-client.types.ts';
import type { GuestType } from './action-calls.ts';

export interface ResourceEntry {
  vmid: number;
  type: string;
  node: string;
  status?: string;
  hastate?: string;
  uptime?: number;
}

export interface CurrentStatus {
  status?: string;
  qmpstatus?: string;
  uptime?: number;
  lock?: string;
  ha?: { managed?: number; state?: string };
}

export interface SnapshotEntry {
  name: string;
  parent?: string;
  snapstate?: string;
  running?: number;
}

export interface Observation {
  owner?: ResourceEntry;
  current?: CurrentStatus;
  snapshots?: SnapshotEntry[];
}

/** The guest's entry in /cluster/resources (its owner node, status, hastate); undefined if absent. */
export async function readOwner(client: PveClient, vmid: number): Promise<ResourceEntry | undefined> {
  const list = await client.get<ResourceEntry[]>('/cluster/resources', { type: 'vm' }, { retries: 0 });
  const hit = (Array.isArray(list) ? list : []).find((r) => Number(r.vmid) === vmid && (r.type === 'qemu' || r.type === 'lxc'));
  return hit ? { ...hit, vmid: Number(hit.vmid), uptime: hit.uptime === undefined ? undefined : Number(hit.uptime) } : undefined;
}

/** GET …/status/current of the guest on its owner node. */
export async function readCurrent(client: PveClient, type: GuestType, node: string, vmid: number): Promise<CurrentStatus> {
  const c = await client.get<CurrentStatus>(`/nodes/${encodeURIComponent(node)}/${type}/${vmid}/status/current`, undefined, { retries: 0 });
  return { ...c, uptime: c.uptime === undefined ? undefined : Number(c.uptime), ha: c.ha ? { ...c.ha, managed: Number(c.ha.managed ?? 0) } : undefined };
}

/** GET …/snapshot: the snapshots of the guest (with the pseudo entry "current"). */
export async function readSnapshots(client: PveClient, type: GuestType, node: string, vmid: number): Promise<SnapshotEntry[]> {
  const s = await client.get<SnapshotEntry[]>(`/nodes/${encodeURIComponent(node)}/${type}/${vmid}/snapshot`, undefined, { retries: 0 });
  return Array.isArray(s) ? s : [];
}

/** Owner entry or throws ACTION_UNKNOWN_GUEST (the guest vanished from the cluster). */
export async function readOwnerOrThrow(client: PveClient, cluster: string, vmid: number): Promise<ResourceEntry> {
  const o = await readOwner(client, vmid);
  if (!o) throw new PmiError('ACTION_UNKNOWN_GUEST', `guest ${cluster}/${vmid} is not in /cluster/resources any more`);
  return o;
}

/** True when the guest is HA-managed (hastate in resources, or ha.managed = 1 in status/current). */
export function isHaManaged(obs: Observation): boolean {
  return Boolean(obs.owner?.hastate) || obs.current?.ha?.managed === 1;
}
