// Cluster-wide read endpoints, answered locally from the (simulated) pmxcfs state:
// /version, /cluster/status, /cluster/resources, /nodes, /access/permissions (§3, §4.1).
import { enumParam } from '../http-error.ts';
import type { Route, RouteContext } from '../router.ts';
import { guestResource } from '../views/guest-view.ts';
import { dataTime, generation, liveness } from '../views/liveness.ts';
import { nodeResource, nodesListEntry, storageResource } from '../views/node-view.ts';
import { quorate } from './lookup.ts';

function version(ctx: RouteContext) {
  const p = ctx.world.profile;
  return { version: p.version, release: p.release, repoid: p.repoid };
}

function clusterStatus(ctx: RouteContext) {
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
  const out: Record<string, unknown>[] = [];
  const nodeState = new Map(c.nodes.map((n) => [n.name, { n, state: liveness(n, gen), t: dataTime(n, gen) }]));
  if (!type || type === 'vm') {
    for (const g of c.guests.values()) {
      const ns = nodeState.get(g.node)!;
      out.push(guestResource(g, ns.t, profile, ns.state === 'expired'));
    }
  }
  if (!type || type === 'node') {
    for (const { n, state, t } of nodeState.values()) out.push(nodeResource(n, t, profile, state, haInUse));
  }
  if (!type || type === 'storage') {
    for (const { n, state, t } of nodeState.values()) {
      for (const s of n.storages) if (s.enabled) out.push(storageResource(s, n.name, t, state !== 'expired'));
    }
  }
  if (!type) {
    const pools = new Set([...c.guests.values()].flatMap((g) => (g.pool ? [g.pool] : [])));
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
  return ctx.cluster.nodes.map((n) => nodesListEntry(n, dataTime(n, gen), ctx.world.profile, liveness(n, gen), ctx.fingerprint(n.name)));
}

const PRIVS = ['Sys.Audit', 'VM.Audit', 'VM.PowerMgmt', 'VM.Snapshot', 'VM.Snapshot.Rollback', 'VM.Migrate', 'Datastore.Audit', 'Pool.Audit'];

function permissions() {
  const all = Object.fromEntries(PRIVS.map((p) => [p, 1]));
  return { '/': all, '/vms': all, '/nodes': all, '/storage': all, '/pool': all };
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
