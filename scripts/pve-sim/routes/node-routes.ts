// Per-node endpoints proxied to {node}: status, storage, the guest lists, status/current and
// the snapshot list (§4.2, §5, §6.4, §9).
import { boolParam, paramError } from '../http-error.ts';
import type { Route, RouteContext } from '../router.ts';
import type { GuestType } from '../types.ts';
import { lxcCurrent, lxcListEntry, qemuCurrent, qemuListEntry } from '../views/guest-view.ts';
import { nodeStatus, storageEntry } from '../views/node-view.ts';
import { allowed, requirePriv } from '../permissions.ts';
import { guestOrThrow, nodeOrThrow } from './lookup.ts';

function status(ctx: RouteContext) {
  requirePriv(ctx.world.privileges, `/nodes/${ctx.params.node}`, 'Sys.Audit');
  return nodeStatus(nodeOrThrow(ctx), ctx.nowSec, ctx.world.profile);
}

function storage(ctx: RouteContext) {
  const n = nodeOrThrow(ctx);
  const onlyEnabled = boolParam(ctx.args, 'enabled');
  const content = ctx.args.content;
  const id = ctx.args.storage;
  return n.storages
    .filter((s) => allowed(ctx.world.privileges, `/storage/${s.storage}`, 'Datastore.Audit'))
    .filter((s) => (!onlyEnabled || s.enabled) && (!content || s.content.split(',').includes(content)) && (!id || s.storage === id))
    .map((s) => storageEntry(s, ctx.nowSec));
}

function storageStatus(ctx: RouteContext) {
  const n = nodeOrThrow(ctx);
  requirePriv(ctx.world.privileges, `/storage/${ctx.params.storage}`, 'Datastore.Audit');
  const s = n.storages.find((x) => x.storage === ctx.params.storage);
  if (!s) throw paramError({ storage: 'No such storage.' });
  return storageEntry(s, ctx.nowSec);
}

function guestsOf(ctx: RouteContext, type: GuestType) {
  const n = nodeOrThrow(ctx);
  return [...ctx.cluster.guests.values()].filter((g) => g.node === n.name && g.type === type && allowed(ctx.world.privileges, `/vms/${g.vmid}`, 'VM.Audit'));
}

function qemuList(ctx: RouteContext) {
  const full = boolParam(ctx.args, 'full');
  return guestsOf(ctx, 'qemu').map((g) => qemuListEntry(g, ctx.nowSec, ctx.world.profile, full));
}

function lxcList(ctx: RouteContext) {
  return guestsOf(ctx, 'lxc').map((g) => lxcListEntry(g, ctx.nowSec, ctx.world.profile));
}

function snapshots(type: GuestType) {
  return (ctx: RouteContext) => {
    requirePriv(ctx.world.privileges, `/vms/${ctx.params.vmid}`, 'VM.Audit');
    const g = guestOrThrow(ctx, type);
    const last = g.snapshots.at(-1);
    const list: Record<string, unknown>[] = g.snapshots.map((s) => {
      const o: Record<string, unknown> = { name: s.name, description: s.description, snaptime: s.snaptime };
      if (s.parent !== undefined) o.parent = s.parent;
      if (s.vmstate !== undefined) o.vmstate = s.vmstate;
      if (s.snapstate !== undefined) o.snapstate = s.snapstate;
      return o;
    });
    const current: Record<string, unknown> = { name: 'current', description: 'You are here!', digest: (g.key >>> 0).toString(16).padStart(8, '0').repeat(5) };
    if (type === 'qemu') current.running = g.status === 'running' ? 1 : 0;
    if (last) current.parent = last.name;
    list.push(current);
    return list;
  };
}

function auditedGuest(ctx: RouteContext, type: GuestType) {
  requirePriv(ctx.world.privileges, `/vms/${ctx.params.vmid}`, 'VM.Audit');
  return guestOrThrow(ctx, type);
}

/** Routes of the per-node endpoints. */
export const nodeRoutes: Route[] = [
  { method: 'GET', template: '/nodes/{node}/status', proxied: true, handle: status },
  { method: 'GET', template: '/nodes/{node}/storage', proxied: true, handle: storage },
  { method: 'GET', template: '/nodes/{node}/storage/{storage}/status', proxied: true, handle: storageStatus },
  { method: 'GET', template: '/nodes/{node}/qemu', proxied: true, handle: qemuList },
  { method: 'GET', template: '/nodes/{node}/lxc', proxied: true, handle: lxcList },
  { method: 'GET', template: '/nodes/{node}/qemu/{vmid}/status/current', proxied: true, handle: (ctx) => qemuCurrent(auditedGuest(ctx, 'qemu'), ctx.nowSec, ctx.world.profile) },
  { method: 'GET', template: '/nodes/{node}/lxc/{vmid}/status/current', proxied: true, handle: (ctx) => lxcCurrent(auditedGuest(ctx, 'lxc'), ctx.nowSec, ctx.world.profile) },
  { method: 'GET', template: '/nodes/{node}/qemu/{vmid}/snapshot', proxied: true, handle: snapshots('qemu') },
  { method: 'GET', template: '/nodes/{node}/lxc/{vmid}/snapshot', proxied: true, handle: snapshots('lxc') },
];
