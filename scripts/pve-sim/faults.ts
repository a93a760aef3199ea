// Fault registry. Scope of each kind:
// - offline: the node itself goes down: it shows offline in the cluster views, requests proxied
//   to it get 595, and its own endpoint drops connections at TCP level (so clients fail over).
// - timeout596: requests whose URL targets that node (proxied) get 596; without node, every
//   matching request of the cluster.
// - noRoute595: like timeout596 with `595 No route to host` (pveproxy cannot reach the node while
//   corosync still lists it online: its pveproxy is down, a firewall drops port 8006).
// - taskFail: the next task of guest `vmid` in the cluster fails.
// - everything else (auth401, forbidden403, error500, hang, malformed, latency, certChanged): requests arriving
//   at that node's endpoint (without node: at every endpoint of the cluster).
// `path` narrows a fault to requests whose path (after /api2/json) matches the RegExp, or
// equals the string or the route template.
import type { Fault, FaultTarget } from './types.ts';

export interface FaultEntry {
  target: FaultTarget;
  fault: Fault;
}

export interface FaultRegistry {
  set(target: FaultTarget, fault: Fault): void;
  clear(target?: Partial<FaultTarget>): void;
  list(): readonly FaultEntry[];
  /** Faults that apply to a request arriving at `endpointNode` for `path`. */
  forEndpoint(cluster: string, endpointNode: string, path: string, template: string): Fault[];
  /** 596/595-style faults for a request proxied to `targetNode`. */
  forTargetNode(cluster: string, targetNode: string, path: string, template: string): Fault[];
}

function pathMatches(p: RegExp | string | undefined, path: string, template: string): boolean {
  if (p === undefined) return true;
  if (typeof p === 'string') return p === path || p === template;
  return p.test(path);
}

/** Creates the registry; onChange lets the server react (offline nodes, certificates). */
export function createFaultRegistry(onChange: (entries: readonly FaultEntry[]) => void): FaultRegistry {
  let entries: FaultEntry[] = [];
  return {
    set(target, fault) {
      entries = entries.filter((e) => !(e.fault.kind === fault.kind && e.target.cluster === target.cluster && e.target.node === target.node && String(e.target.path) === String(target.path)));
      entries.push({ target, fault });
      onChange(entries);
    },
    clear(target) {
      entries = target
        ? entries.filter((e) => !((target.cluster === undefined || e.target.cluster === target.cluster) && (target.node === undefined || e.target.node === target.node) && (target.path === undefined || String(e.target.path) === String(target.path))))
        : [];
      onChange(entries);
    },
    list: () => entries,
    forEndpoint(cluster, endpointNode, path, template) {
      return entries
        .filter((e) => e.fault.kind !== 'offline' && e.fault.kind !== 'timeout596' && e.fault.kind !== 'noRoute595' && e.fault.kind !== 'taskFail')
        .filter((e) => e.target.cluster === cluster && (e.target.node === undefined || e.target.node === endpointNode) && pathMatches(e.target.path, path, template))
        .map((e) => e.fault);
    },
    forTargetNode(cluster, targetNode, path, template) {
      return entries
        .filter((e) => e.fault.kind === 'timeout596' || e.fault.kind === 'noRoute595')
        .filter((e) => e.target.cluster === cluster && (e.target.node === undefined || e.target.node === targetNode) && pathMatches(e.target.path, path, template))
        .map((e) => e.fault);
    },
  };
}
