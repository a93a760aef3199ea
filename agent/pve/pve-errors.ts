// Turning what a Proxmox endpoint answered (or failed to) into PmiErrors with stable PVE_* codes,
// and deciding which of them are worth a retry or a switch to another endpoint. Pure.
import { PmiError, type ErrorCode } from '../errors.ts';

export interface RequestContext {
  endpoint: string;
  method: string;
  path: string;
}

/** Error text of a failed response: the reason phrase (pve-api.md §1.3), then `message`/`errors` from a JSON body (≥ 5.2.0). */
export function errorText(statusText: string, body: string): string {
  const parts: string[] = [];
  if (statusText) parts.push(statusText.trim());
  if (body) {
    try {
      const parsed = JSON.parse(body) as { message?: unknown; errors?: unknown };
      if (typeof parsed.message === 'string' && parsed.message.trim() && !parts.includes(parsed.message.trim())) parts.push(parsed.message.trim());
      if (parsed.errors && typeof parsed.errors === 'object') {
        const errs = Object.entries(parsed.errors as Record<string, unknown>).map(([k, v]) => `${k}: ${String(v).trim()}`);
        if (errs.length) parts.push(errs.join('; '));
      }
    } catch {
      // error bodies are often empty or not JSON; the reason phrase carries the text
    }
  }
  return parts.join(' — ');
}

/** The PmiError for an HTTP status ≥ 400 (401 PVE_AUTH, 403 PVE_FORBIDDEN, 595/596 PVE_NODE_OFFLINE, else PVE_HTTP). */
export function httpError(status: number, statusText: string, body: string, ctx: RequestContext): PmiError {
  const text = errorText(statusText, body);
  const details = { ...ctx, status, statusText };
  const at = `${ctx.method} ${ctx.path} at ${ctx.endpoint}`;
  if (status === 401) return new PmiError('PVE_AUTH', `authentication failed at ${ctx.endpoint}: 401 ${text || 'Unauthorized'}`, { details });
  if (status === 403) return new PmiError('PVE_FORBIDDEN', `permission denied for ${at}: 403 ${text}`, { details });
  if (status === 595 || status === 596) return new PmiError('PVE_NODE_OFFLINE', `node offline or unreachable behind ${ctx.endpoint} for ${ctx.method} ${ctx.path}: ${status} ${text}`.trim(), { details });
  return new PmiError('PVE_HTTP', `${at} failed: ${status} ${text}`.trim(), { details });
}

const CONNECTION_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE', 'ETIMEDOUT',
  'UND_ERR_SOCKET', 'UND_ERR_CLOSED', 'UND_ERR_CONNECT_TIMEOUT', 'ECONNABORTED', 'EADDRNOTAVAIL',
]);

/** The code of an error or of its causes (undici nests the OS error). */
export function causeCode(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e && depth < 5; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * An established socket the server closed under us (e.g. pveproxy's 5 s keep-alive idle close
 * racing our reuse) — safe to resend a GET at once. A reset during connect (ECONNRESET from the
 * TLS handshake) is a dead endpoint instead, handled by failover.
 */
export function isSocketReset(err: unknown): boolean {
  return causeCode(err) === 'UND_ERR_SOCKET';
}

const TLS_CODE = /^(ERR_TLS_|ERR_SSL_|CERT_|UNABLE_TO_|SELF_SIGNED|DEPTH_ZERO|ERR_OSSL)/;

/** Maps a transport failure (no HTTP status) to PVE_TLS, PVE_UNREACHABLE or keeps a PmiError as is. */
export function transportError(err: unknown, ctx: RequestContext): PmiError {
  if (err instanceof PmiError) return err;
  const code = causeCode(err) ?? '';
  const msg = err instanceof Error ? err.message : String(err);
  const details = { ...ctx, cause: code || undefined };
  if (TLS_CODE.test(code)) return new PmiError('PVE_TLS', `TLS verification failed for ${ctx.endpoint}: ${msg}`, { cause: err, details });
  if (code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') return new PmiError('PVE_TIMEOUT', `${ctx.method} ${ctx.path} at ${ctx.endpoint} timed out (${code})`, { cause: err, details });
  if (CONNECTION_CODES.has(code)) return new PmiError('PVE_UNREACHABLE', `cannot reach ${ctx.endpoint} (${code}): ${msg}`, { cause: err, details });
  return new PmiError('PVE_UNREACHABLE', `request to ${ctx.endpoint} failed: ${msg}`, { cause: err, details });
}

/** Worth retrying a GET: 5xx (incl. 595/596), timeouts, connection errors; never 401/403/4xx, TLS or bad responses. */
export function isTransient(err: unknown): boolean {
  if (!(err instanceof PmiError)) return false;
  const c: ErrorCode = err.code;
  if (c === 'PVE_UNREACHABLE' || c === 'PVE_TIMEOUT' || c === 'PVE_NODE_OFFLINE') return !err.details.cancelled;
  // 501 "Method not implemented" will not change on a retry
  if (c === 'PVE_HTTP') return typeof err.details.status === 'number' && err.details.status >= 500 && err.details.status !== 501;
  return false;
}

/** The endpoint itself is not usable (connection, timeout, TLS) — as opposed to a live server answering with an error. */
export function isEndpointFailure(err: unknown): boolean {
  if (!(err instanceof PmiError) || err.details.cancelled) return false;
  return err.code === 'PVE_UNREACHABLE' || err.code === 'PVE_TIMEOUT' || err.code === 'PVE_TLS';
}

/** Codes that prove a request never reached the server: no connection was ever established. */
const NEVER_SENT_CODES = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'UND_ERR_CONNECT_TIMEOUT']);

/**
 * True when the request provably never left: connection refused or unroutable, the connect timed
 * out, or TLS/pinning refused the server. Only then may a POST be sent to another endpoint — a
 * timeout or reset after connecting may mean the server already started the task.
 */
export function neverSent(err: unknown): boolean {
  if (!(err instanceof PmiError) || err.details.cancelled) return false;
  if (err.code === 'PVE_TLS') return true;
  return NEVER_SENT_CODES.has(causeCode(err.cause) ?? String(err.details.cause ?? ''));
}

/** Exponential backoff with full jitter: a random delay in [0, base·2^attempt), capped. */
export function backoffMs(attempt: number, baseMs: number, random: () => number, capMs = 30_000): number {
  return Math.floor(random() * Math.min(capMs, baseMs * 2 ** attempt));
}
