// Writes Proxmox-shaped responses: the {"data":…} envelope, error status lines carrying the
// message's first line, JSON error bodies (+message on newer servers), empty bodies for 401/59x,
// and no keep-alive after an error (pve-api.md §1.3, §2).
import type { ServerResponse } from 'node:http';
import { gzip } from 'node:zlib';
import type { SimHttpError } from './http-error.ts';

function baseHeaders(): Record<string, string> {
  const date = new Date().toUTCString();
  return { Server: 'pve-api-daemon/3.0', 'Cache-Control': 'max-age=0', Pragma: 'no-cache', Expires: date, Date: date };
}

/**
 * 200 with the data envelope (plus extras such as `total`). Like pveproxy, bodies over 1 KiB are
 * gzip-compressed when the client accepts it (pve-api.md §2).
 */
export function sendData(res: ServerResponse, data: unknown, extra: Record<string, unknown>, acceptEncoding: string | undefined): void {
  const body = JSON.stringify(Object.keys(extra).length ? { data, ...extra } : { data });
  const headers = { ...baseHeaders(), 'Content-Type': 'application/json;charset=UTF-8' };
  if (body.length > 1024 && acceptEncoding && /\bgzip\b/.test(acceptEncoding)) {
    gzip(body, (err, zipped) => {
      if (err) {
        res.destroy(err);
        return;
      }
      res.writeHead(200, 'OK', { ...headers, 'Content-Encoding': 'gzip', 'Content-Length': zipped.length });
      res.end(zipped);
    });
    return;
  }
  res.writeHead(200, 'OK', { ...headers, 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

/** A raw 200 body (used by the malformed-JSON fault). */
export function sendRaw(res: ServerResponse, body: string): void {
  res.writeHead(200, 'OK', { ...baseHeaders(), 'Content-Type': 'application/json;charset=UTF-8', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

/** Status line only, empty body (401, 595, 596). */
export function sendEmpty(res: ServerResponse, status: number, reason: string): void {
  res.writeHead(status, reason, { ...baseHeaders(), Connection: 'close', 'Content-Length': 0 });
  res.end();
}

/** A JSON error: `{"data":null}` plus `errors` (param errors) and `message` when the server version has it. */
export function sendError(res: ServerResponse, err: SimHttpError, withMessage: boolean): void {
  if (err.opts.emptyBody) {
    sendEmpty(res, err.status, firstLine(err.message));
    return;
  }
  const body: Record<string, unknown> = { data: null };
  if (err.opts.errors && Object.keys(err.opts.errors).length) body.errors = err.opts.errors;
  if (withMessage) body.message = err.message.endsWith('\n') ? err.message : `${err.message}\n`;
  const text = JSON.stringify(body);
  res.writeHead(err.status, firstLine(err.message), { ...baseHeaders(), 'Content-Type': 'application/json;charset=UTF-8', Connection: 'close', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

/** The status-line reason: first line of the message, printable ASCII only (Node rejects others). */
export function firstLine(message: string): string {
  const line = /^(.*)$/m.exec(message)?.[1] ?? '';
  return line.replace(/[^\x20-\x7e]/g, '?');
}
