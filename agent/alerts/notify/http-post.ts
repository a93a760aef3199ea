// The HTTP boundary of notifications: the only file of agent/alerts that imports undici.
import { readFileSync } from 'node:fs';
import { Agent, request } from 'undici';

export interface HttpRequest {
  method: 'POST' | 'GET';
  url: string;
  headers?: Record<string, string>;
  body?: string;
  timeoutMs: number;
  /** PEM CA file the server's certificate must chain to (otherwise the system's CAs). */
  caFile?: string;
}
export interface HttpResponse { status: number; body: string }
export type HttpSend = (r: HttpRequest) => Promise<HttpResponse>;

/** A sender with one connection pool per CA file; close() ends them. */
export function createHttpSend(): HttpSend & { close(): Promise<void> } {
  const agents = new Map<string, Agent>();
  const agentFor = (caFile: string | undefined) => {
    const key = caFile ?? '';
    let a = agents.get(key);
    if (!a) {
      a = new Agent({ connect: caFile ? { ca: readFileSync(caFile, 'utf8') } : {}, keepAliveTimeout: 10_000 });
      agents.set(key, a);
    }
    return a;
  };
  const send = async (r: HttpRequest): Promise<HttpResponse> => {
    const res = await request(r.url, {
      method: r.method,
      headers: r.headers ?? {},
      ...(r.body !== undefined && { body: r.body }),
      dispatcher: agentFor(r.caFile),
      headersTimeout: r.timeoutMs,
      bodyTimeout: r.timeoutMs,
      signal: AbortSignal.timeout(r.timeoutMs),
    });
    const body = await res.body.text();
    return { status: res.statusCode, body: body.slice(0, 500) };
  };
  return Object.assign(send, {
    async close() {
      await Promise.all([...agents.values()].map((a) => a.close().catch(() => undefined)));
      agents.clear();
    },
  });
}
