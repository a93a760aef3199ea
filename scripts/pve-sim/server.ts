// One HTTPS listener per simulated node endpoint, and the request pipeline every request goes
// through: connection-level faults, latency, endpoint faults, auth, routing, proxy checks, handler.
import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { checkAuth } from './auth.ts';
import type { FaultRegistry } from './faults.ts';
import { SimHttpError } from './http-error.ts';
import { sendData, sendEmpty, sendError, sendRaw } from './respond.ts';
import type { Router, RouteContext } from './router.ts';
import type { SimCluster, SimNode, SimStats } from './types.ts';
import type { World } from './world.ts';

export interface EndpointDeps {
  world: World;
  cluster: SimCluster;
  node: SimNode;
  router: Router;
  faults: FaultRegistry;
  stats: SimStats;
  tokenId: string;
  tokenSecret: string;
  latencyMs: number;
  authFailDelayMs: number;
  keepAliveTimeoutMs: number;
  cert: { key: string; cert: string };
  fingerprint(node: string): string;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function bump(rec: Record<string, number>, key: string): void {
  rec[key] = (rec[key] ?? 0) + 1;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= 512 * 1024) chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function parseBody(text: string, contentType: string | undefined): Record<string, string> {
  if (!text) return {};
  if (contentType?.includes('application/json')) {
    try {
      const v = JSON.parse(text) as unknown;
      if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, typeof x === 'boolean' ? (x ? '1' : '0') : String(x)]));
    } catch {
      return {};
    }
    return {};
  }
  return Object.fromEntries(new URLSearchParams(text));
}

/** Handles one request against the world (exported for the pipeline's tests). */
export async function handleRequest(d: EndpointDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  d.world.advance();
  const method = req.method ?? 'GET';
  const url = new URL(req.url ?? '/', 'https://sim');
  const path = url.pathname.startsWith('/api2/json') ? url.pathname.slice('/api2/json'.length) || '/' : url.pathname;
  const match = url.pathname.startsWith('/api2/json') ? d.router.match(method, path) : undefined;
  const template = match && 'route' in match ? match.route.template : '(unmatched)';
  d.stats.requests++;
  bump(d.stats.byPath, template);
  bump(d.stats.byMethod, method);
  bump(d.stats.byRoute, `${method} ${template}`);
  bump(d.stats.byCluster, d.cluster.name);

  if (d.node.offlineSince !== null) {
    req.socket.destroy();
    return;
  }
  const faults = d.faults.forEndpoint(d.cluster.name, d.node.name, path, template);
  const latency = d.latencyMs + faults.reduce((s, f) => s + (f.kind === 'latency' ? f.ms : 0), 0);
  if (latency > 0) await sleep(latency);
  if (faults.some((f) => f.kind === 'hang')) return;
  const auth401 = faults.find((f) => f.kind === 'auth401');
  if (auth401) {
    await sleep(auth401.delayMs ?? d.authFailDelayMs);
    sendEmpty(res, 401, 'Authentication failed!');
    return;
  }
  const auth = checkAuth(req.headers.authorization, req.headers.cookie, d.tokenId, d.tokenSecret);
  if (!auth.ok) {
    await sleep(d.authFailDelayMs);
    sendEmpty(res, 401, auth.reason);
    return;
  }
  const withMessage = d.world.profile.errorMessage;
  const forbidden = faults.find((f) => f.kind === 'forbidden403');
  if (forbidden) {
    sendError(res, new SimHttpError(403, `Permission check failed (${forbidden.path}, ${forbidden.privilege})`), withMessage);
    return;
  }
  const err500 = faults.find((f) => f.kind === 'error500');
  if (err500) {
    sendError(res, new SimHttpError(500, err500.message), withMessage);
    return;
  }
  if (faults.some((f) => f.kind === 'malformed')) {
    sendRaw(res, '{"data":[{"id":"qemu/100","type":"qemu","status":"runn');
    return;
  }
  if (!match || !('route' in match)) {
    sendError(res, new SimHttpError(501, `Method '${method} ${path}' not implemented`), withMessage);
    return;
  }
  const body = method === 'GET' ? {} : parseBody(await readBody(req), req.headers['content-type']);
  const args: Record<string, string> = { ...Object.fromEntries(url.searchParams), ...body };
  delete args._dc;
  const nowMs = d.world.now();
  const ctx: RouteContext = {
    world: d.world,
    cluster: d.cluster,
    local: d.node.name,
    params: match.params,
    args,
    authUser: auth.user,
    nowMs,
    nowSec: nowMs / 1000,
    fingerprint: d.fingerprint,
    meta: {},
  };
  try {
    if (match.route.proxied) {
      const target = d.cluster.nodes.find((n) => n.name === match.params.node);
      if (!target) {
        const name = match.params.node ?? '';
        throw new SimHttpError(500, `hostname lookup '${name}' failed - failed to get address info for: ${name}: Name or service not known`);
      }
      if (target.offlineSince !== null && target.name !== d.node.name) throw new SimHttpError(595, 'No route to host', { emptyBody: true });
      const proxyFaults = d.faults.forTargetNode(d.cluster.name, target.name, path, template);
      if (proxyFaults.some((f) => f.kind === 'timeout596')) throw new SimHttpError(596, 'Connection timed out', { emptyBody: true });
      if (proxyFaults.length) throw new SimHttpError(595, 'No route to host', { emptyBody: true });
    }
    const data = match.route.handle(ctx);
    sendData(res, data, ctx.meta, req.headers['accept-encoding']);
  } catch (e) {
    if (e instanceof SimHttpError) sendError(res, e, withMessage);
    else sendError(res, new SimHttpError(500, e instanceof Error ? e.message : String(e)), withMessage);
  }
}

export interface EndpointServer {
  server: https.Server;
  setCert(cert: { key: string; cert: string }): void;
  dropConnections(): void;
}

/** Creates (not yet listening) the HTTPS server of one node endpoint. */
export function createEndpointServer(d: EndpointDeps): EndpointServer {
  const server = https.createServer({ key: d.cert.key, cert: d.cert.cert, minVersion: 'TLSv1.2' }, (req, res) => {
    handleRequest(d, req, res).catch((e: unknown) => {
      if (!res.headersSent) sendError(res, new SimHttpError(500, e instanceof Error ? e.message : String(e)), d.world.profile.errorMessage);
    });
  });
  server.keepAliveTimeout = d.keepAliveTimeoutMs;
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    // An offline node refuses at TCP level, so clients see a connection failure and fail over.
    if (d.node.offlineSince !== null) {
      socket.destroy();
      return;
    }
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.on('tlsClientError', () => undefined);
  return {
    server,
    setCert(cert) {
      server.setSecureContext({ key: cert.key, cert: cert.cert });
    },
    dropConnections() {
      for (const s of sockets) s.destroy();
    },
  };
}
