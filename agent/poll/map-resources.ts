// GET /cluster/resources (no type filter) → guests, storages and per-node stats (pve-api.md §3.3).
// Pure; rates are left null here and filled by derive-rates.
import type { GuestState, GuestType, StorageState } from './cluster-snapshot.ts';
import type { ResourceItem } from '../pve/pve-schemas.ts';

export interface NodeResource {
  node: string;
  status: 'online' | 'offline' | 'unknown';
  level: string | null;
  uptime: number | null;
  cpu: number | null;
  maxcpu: number | null;
  mem: number | null;
  maxmem: number | null;
  disk: number | null;
  maxdisk: number | null;
  hastate: string | null;
}

export interface MappedResources {
  guests: GuestState[];
  storages: StorageState[];
  nodes: Map<string, NodeResource>;
}

/** Tags as Proxmox stores them: separated by ';' (also ',' or spaces, which PVE accepts on input); empty and duplicate ones dropped. */
export function splitTags(raw: string | undefined): string[] {
  if (!raw) return [];
  return [...new Set(raw.split(/[;,\s]+/).map((t) => t.trim()).filter(Boolean))];
}

const n = (v: number | undefined): number | null => (v === undefined ? null : v);
const s = (v: string | undefined): string | null => (v === undefined || v === '' ? null : v);

function nodeStatus(v: string | undefined): NodeResource['status'] {
  return v === 'online' || v === 'offline' ? v : 'unknown';
}

/** Maps one guest entry; undefined for entries that are not usable guests (no vmid/node). */
export function mapGuest(r: ResourceItem): GuestState | undefined {
  const type: GuestType | undefined = r.type === 'qemu' || r.type === 'lxc' ? r.type : undefined;
  const vmid = r.vmid ?? Number(r.id.split('/')[1]);
  if (!type || !Number.isInteger(vmid) || !r.node) return undefined;
  return {
    vmid,
    type,
    node: r.node,
    name: s(r.name),
    status: r.status || 'unknown',
    template: r.template ?? false,
    tags: splitTags(r.tags),
    pool: s(r.pool),
    lock: s(r.lock),
    hastate: s(r.hastate),
    uptime: n(r.uptime),
    cpu: n(r.cpu),
    maxcpu: n(r.maxcpu),
    mem: n(r.mem),
    maxmem: n(r.maxmem),
    memhost: n(r.memhost),
    // QEMU always reports disk 0 ("not measured", §3.3): only LXC has a real value.
    disk: type === 'lxc' ? n(r.disk) : null,
    maxdisk: n(r.maxdisk),
    counters: { netin: n(r.netin), netout: n(r.netout), diskread: n(r.diskread), diskwrite: n(r.diskwrite) },
    netinBps: null,
    netoutBps: null,
    diskreadBps: null,
    diskwriteBps: null,
  };
}

/** Splits the cluster-wide resource list into guests, storages (per node) and node stats. */
export function mapResources(items: ResourceItem[]): MappedResources {
  const guests: GuestState[] = [];
  const storages: StorageState[] = [];
  const nodes = new Map<string, NodeResource>();
  for (const r of items) {
    if (r.type === 'qemu' || r.type === 'lxc') {
      const g = mapGuest(r);
      if (g) guests.push(g);
    } else if (r.type === 'storage') {
      const parts = r.id.split('/');
      const node = r.node ?? parts[1];
      const storage = r.storage ?? parts.slice(2).join('/');
      if (!node || !storage) continue;
      storages.push({
        node,
        storage,
        type: s(r.plugintype),
        content: s(r.content),
        shared: r.shared ?? false,
        status: r.status || 'unknown',
        used: n(r.disk),
        total: n(r.maxdisk),
      });
    } else if (r.type === 'node') {
      const node = r.node ?? r.id.replace(/^node\//, '');
      nodes.set(node, {
        node,
        status: nodeStatus(r.status),
        level: s(r.level),
        uptime: n(r.uptime),
        cpu: n(r.cpu),
        maxcpu: n(r.maxcpu),
        mem: n(r.mem),
        maxmem: n(r.maxmem),
        disk: n(r.disk),
        maxdisk: n(r.maxdisk),
        hastate: s(r.hastate),
      });
    }
  }
  guests.sort((a, b) => a.vmid - b.vmid);
  return { guests, storages, nodes };
}
