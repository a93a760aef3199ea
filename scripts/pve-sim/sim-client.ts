// A minimal HTTPS client for the simulator's own tests and scripts: it shows the raw status line,
// headers and body (the agent's real client lives in agent/pve/).
import https from 'node:https';
import { gunzipSync } from 'node:zlib';

export interface RawResponse {
  status: number;
  reason: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  /** Parsed JSON body, undefined when empty or not JSON. */
  json: unknown;
  /** Content-Encoding of the response ('' when none). */
  encoding: string;
}

export interface RawRequest {
  method?: string;
  /** Authorization header value, e.g. `PVEAPIToken=pmi@pve!agent=<secret>`. */
  auth?: string;
  /** Form fields for POST. */
  form?: Record<string, string | number>;
  /** Pin this certificate (PEM) instead of skipping verification. */
  ca?: string;
  timeoutMs?: number;
  /** Send Accept-Encoding: gzip (the body is decompressed; `encoding` tells what came). */
  acceptGzip?: boolean;
}

/** Sends one request to `${base}/api2/json${path}` and resolves with the raw response. */
export function simRequest(base: string, path: string, opts: RawRequest = {}): Promise<RawResponse> {
  const url = new URL(`/api2/json${path}`, base);
  const body = opts.form ? new URLSearchParams(Object.entries(opts.form).map(([k, v]) => [k, String(v)])).toString() : undefined;
  return new Promise((resolve, reject) => {
    const req = https.request(
      url,
      {
        method: opts.method ?? 'GET',
        agent: false,
        ...(opts.ca ? { ca: opts.ca, checkServerIdentity: () => undefined } : { rejectUnauthorized: false }),
        headers: {
          ...(opts.auth ? { Authorization: opts.auth } : {}),
          ...(opts.acceptGzip ? { 'Accept-Encoding': 'gzip' } : {}),
          ...(body !== undefined ? { 'Content-Type': 'application/x-www-form-urlencoded', 'Content-Length': Buffer.byteLength(body) } : {}),
        },
        timeout: opts.timeoutMs ?? 10_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const encoding = String(res.headers['content-encoding'] ?? '');
          const raw = Buffer.concat(chunks);
          const text = (encoding === 'gzip' ? gunzipSync(raw) : raw).toString('utf8');
          let json: unknown;
          try {
            json = text ? JSON.parse(text) : undefined;
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, reason: res.statusMessage ?? '', headers: res.headers, body: text, json, encoding });
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end(body);
  });
}

/** The Authorization header value for a token. */
export function tokenHeader(tokenId: string, secret: string): string {
  return `PVEAPIToken=${tokenId}=${secret}`;
}
