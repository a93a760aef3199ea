// Lookups shared by the route handlers, failing the way Proxmox does (pve-api.md §10).
import { die500 } from '../http-error.ts';
import type { RouteContext } from '../router.ts';
import type { GuestType, SimGuest, SimNode } from '../types.ts';

/** The node named in the URL, or 500 "hostname lookup '<node>' failed". */
export function nodeOrThrow(ctx: RouteContext): SimNode {
  const name = ctx.params.node ?? '';
  const n = ctx.cluster.nodes.find((x) => x.name === name);
  if (!n) throw die500(`hostname lookup '${name}' failed - failed to get address info for: ${name}: Name or service not known`);
  return n;
}

/** The guest of the URL on the URL's node, or 500 "Configuration file … does not exist". */
export function guestOrThrow(ctx: RouteContext, type: GuestType): SimGuest {
  const node = nodeOrThrow(ctx);
  const vmidRaw = ctx.params.vmid ?? '';
  const vmid = Number(vmidRaw);
  const g = /^\d+$/.test(vmidRaw) ? ctx.cluster.guests.get(vmid) : undefined;
  if (!g || g.type !== type || g.node !== node.name) {
    const dir = type === 'qemu' ? 'qemu-server' : 'lxc';
    throw die500(`Configuration file 'nodes/${node.name}/${dir}/${vmidRaw}.conf' does not exist`);
  }
  return g;
}

/** Whether a majority of the cluster's nodes is online. */
export function quorate(ctx: RouteContext): boolean {
  const nodes = ctx.cluster.nodes;
  return nodes.filter((n) => n.offlineSince === null).length * 2 > nodes.length;
}
