// rrddata endpoints, answered locally from the replicated RRD data (not proxied, §8).
import { enumParam } from '../http-error.ts';
import { guestRrd, nodeRrd, type Timeframe } from '../rrd.ts';
import type { Route, RouteContext } from '../router.ts';
import type { GuestType } from '../types.ts';
import { requirePriv } from '../permissions.ts';
import { nodeOrThrow } from './lookup.ts';

const GUEST_TF = ['hour', 'day', 'week', 'month', 'year'] as const;
const NODE_TF = [...GUEST_TF, 'decade'] as const;

function cf(ctx: RouteContext): boolean {
  return enumParam(ctx.args, 'cf', ['AVERAGE', 'MAX'], 'AVERAGE') === 'MAX';
}

function nodeRrddata(ctx: RouteContext) {
  const n = nodeOrThrow(ctx);
  requirePriv(ctx.world.privileges, `/nodes/${n.name}`, 'Sys.Audit');
  const tf = enumParam(ctx.args, 'timeframe', NODE_TF) as Timeframe;
  return nodeRrd(n, ctx.world.profile, tf, cf(ctx), ctx.nowSec);
}

function guestRrddata(type: GuestType) {
  return (ctx: RouteContext) => {
    nodeOrThrow(ctx);
    requirePriv(ctx.world.privileges, `/vms/${ctx.params.vmid}`, 'VM.Audit');
    const tf = enumParam(ctx.args, 'timeframe', GUEST_TF) as Timeframe;
    const max = cf(ctx);
    // The RRD file is keyed by vmid only, so any cluster node answers for any guest.
    const g = ctx.cluster.guests.get(Number(ctx.params.vmid));
    if (!g || g.type !== type) return [];
    return guestRrd(g, ctx.world.profile, tf, max, ctx.nowSec);
  };
}

/** Routes of the rrddata endpoints. */
export const rrdRoutes: Route[] = [
  { method: 'GET', template: '/nodes/{node}/rrddata', proxied: false, handle: nodeRrddata },
  { method: 'GET', template: '/nodes/{node}/qemu/{vmid}/rrddata', proxied: false, handle: guestRrddata('qemu') },
  { method: 'GET', template: '/nodes/{node}/lxc/{vmid}/rrddata', proxied: false, handle: guestRrddata('lxc') },
];
