// Cluster-wide read endpoints, answered locally from the (simulated) pmxcfs state:
// /version, /cluster/status, /cluster/resources, /nodes, /access/permissions (§3, §4.1).
import { enumParam } from '../http-error.ts';
import type { Route, RouteContext } from '../router.ts';
import { guestResource } from '../views/guest-view.ts';
import { dataTime, generation, liveness } from '../views/liveness.ts';
import { nodeResource, nodesListEntry, storageResource } from '../views/node-view.ts';
import { allowed, permissionsView, requirePriv } from '../permissions.ts';
import { quorate } from './lookup.ts';

function version(ctx: RouteContext) {
  const p = ctx.world.profile;
  return { version: p.version, release: p.release, repoid: p.repoid };
}

function clusterStatus(ctx: RouteContext) {
  requirePriv(ctx.world.privileges, '/', 'Sys.Audit');
  const c = ctx.cluster;
  const out: Record<string, unknown>[] = [];
  if (c.pveName !== null) {
    out.push({ type: 'cluster', id: 'cluster', name: c.pveName, nodes: c.nodes.length, quorate: quorate(ctx) ? 1 : 0, version: c.configVersion });
  }
  for (const n of c.nodes) {
    out.push({ type: 'node', id: `node/${n.name}`, name: n.name, nodeid: n.nodeid, online: n.offlineSince === null ? 1 : 0, local: n.name === ctx.local ? 1 : 0, ip: n.ip, level: '' });
  }
  return out;
}

function clusterResources(ctx: RouteContext) {
  const type = ctx.args.type === undefined ? undefined : enumParam(ctx.args, 'type', ['vm', 'storage', 'node', 'sdn']);
  const c = ctx.cluster;
  const gen = generation(ctx.nowSec);
  const profile = ctx.world.profile;
  const haInUse = [...c.guests.values()].some((g) => g.hastate !== undefined);
  const privs = ctx.world.privileges;
  const out: Record<string, unknown>[] = [];
  const nodeState = new Map(c.nodes.map((n) => [n.name, { n, state: liveness(n, gen), t: dataTime(n, gen) }]));
  if (!type || type === 'vm') {
    for (const g of c.guests.values()) {
      if (!allowed(privs, `/vms/${g.vmid}`, 'VM.Audit')) continue;
      const ns = nodeState.get(g.node)!;
      out.push(guestResource(g, ns.t, profile, ns.state === 'expired'));
    }
  }
  if (!type || type === 'node') {
    for (const { n, state, t } of nodeState.values()) {
      const e = nodeResource(n, t, profile, state, haInUse);
      out.push(allowed(privs, `/nodes/${n.name}`, 'Sys.Audit') ? e : { id: e.id, type: e.type, node: e.node, status: e.status, level: e.level });
    }
  }
  if (!type || type === 'storage') {
    for (const { n, state, t } of nodeState.values()) {
      for (const s of n.storages) if (s.enabled && allowed(privs, `/storage/${s.storage}`, 'Datastore.Audit')) out.push(storageResource(s, n.name, t, state !== 'expired'));
    }
  }
  if (!type) {
    const pools = new Set([...c.guests.values()].flatMap((g) => (g.pool && allowed(privs, `/pool/${g.pool}`, 'Pool.Audit') ? [g.pool] : [])));
    for (const p of pools) out.push({ id: `pool/${p}`, type: 'pool', pool: p });
  }
  if (!type || type === 'sdn') {
    for (const { n, state } of nodeState.values()) {
      if (state !== 'expired') out.push({ id: `sdn/${n.name}/localnetwork`, type: 'sdn', sdn: 'localnetwork', node: n.name, status: 'ok' });
    }
  }
  return out;
}

function nodesList(ctx: RouteContext) {
  const gen = generation(ctx.nowSec);
  return ctx.cluster.nodes.map((n) => {
    const e = nodesListEntry(n, dataTime(n, gen), ctx.world.profile, liveness(n, gen), ctx.fingerprint(n.name));
    if (allowed(ctx.world.privileges, `/nodes/${n.name}`, 'Sys.Audit')) return e;
    return { node: e.node, status: e.status, id: e.id, type: e.type, level: e.level, ssl_fingerprint: e.ssl_fingerprint };
  });
}

function permissions(ctx: RouteContext) {
  return permissionsView(ctx.world.privileges);
}

/** Routes of the cluster-wide views. */
export const clusterRoutes: Route[] = [
  { method: 'GET', template: '/version', proxied: false, handle: version },
  { method: 'GET', template: '/cluster/status', proxied: false, handle: clusterStatus },
  { method: 'GET', template: '/cluster/resources', proxied: false, handle: clusterResources },
  { method: 'GET', template: '/nodes', proxied: false, handle: nodesList },
  { method: 'GET', template: '/access/permissions', proxied: false, handle: permissions },
  { method: 'GET', template: '/nodes/{node}/version', proxied: true, handle: version },
];
