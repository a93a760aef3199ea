// Path-template routing: "/nodes/{node}/qemu/{vmid}/status/current" → handler + params. The
// template is also the key the request statistics are counted under.
import type { SimCluster } from './types.ts';
import type { World } from './world.ts';

export interface RouteContext {
  world: World;
  cluster: SimCluster;
  /** The node whose endpoint received the request. */
  local: string;
  params: Record<string, string>;
  /** Query string merged with the request body. */
  args: Record<string, string>;
  /** Full token user, "user@realm!tokenid". */
  authUser: string;
  nowSec: number;
  nowMs: number;
  /** Envelope extras the handler sets, e.g. `total` for task lists. */
  meta: Record<string, unknown>;
  /** SHA-256 fingerprint a node's endpoint currently serves (for /nodes ssl_fingerprint). */
  fingerprint(node: string): string;
}

export interface Route {
  method: 'GET' | 'POST' | 'DELETE' | 'PUT';
  template: string;
  /** Forwarded by pveproxy to {node} (pve-api.md §10): unknown node 500, offline node 595, 596 faults. */
  proxied: boolean;
  handle(ctx: RouteContext): unknown;
}

interface Compiled {
  route: Route;
  re: RegExp;
  names: string[];
}

export interface Router {
  match(method: string, path: string): { route: Route; params: Record<string, string> } | { template: string; methodMismatch: true } | undefined;
}

/** Compiles the route list into a matcher. */
export function createRouter(routes: Route[]): Router {
  const compiled: Compiled[] = routes.map((route) => {
    const names: string[] = [];
    const src = route.template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{(\w+)\}/g, (_m, n: string) => {
      names.push(n);
      return '([^/]+)';
    });
    return { route, re: new RegExp(`^${src}/?$`), names };
  });
  return {
    match(method, path) {
      let template: string | undefined;
      for (const c of compiled) {
        const m = c.re.exec(path);
        if (!m) continue;
        if (c.route.method !== method) {
          template ??= c.route.template;
          continue;
        }
        const params: Record<string, string> = {};
        c.names.forEach((n, i) => {
          params[n] = decodeURIComponent(m[i + 1]!);
        });
        return { route: c.route, params };
      }
      return template ? { template, methodMismatch: true } : undefined;
    },
  };
}
