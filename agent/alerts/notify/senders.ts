// One sender per target type: a notification → the receiver's own request. A sender throws on
// failure (the dispatcher records it and retries); any 2xx counts as delivered.
import { createHmac } from 'node:crypto';
import type { Target } from '../alerts-config.schema.ts';
import type { HttpSend } from './http-post.ts';
import type { SmtpSend } from './smtp-send.ts';
import { priority, text, title, type Notification } from './notification.ts';

export type Sender = (n: Notification, nowSec: number) => Promise<void>;

/** `t=<unix>,sha256=<hex>` over `<unix>.<body>` with the target's secret (README: verifying). */
export function signature(secret: string, nowSec: number, body: string): string {
  return `t=${nowSec},sha256=${createHmac('sha256', secret).update(`${nowSec}.${body}`).digest('hex')}`;
}

async function expect2xx(p: Promise<{ status: number; body: string }>): Promise<void> {
  const res = await p;
  if (res.status < 200 || res.status > 299) throw new Error(`HTTP ${res.status}${res.body ? `: ${res.body.slice(0, 200)}` : ''}`);
}

const trimSlash = (u: string) => u.replace(/\/+$/, '');

export function createSender(t: Target, secret: string | undefined, io: { http: HttpSend; smtp: SmtpSend }): Sender {
  const tls = { timeoutMs: t.timeoutMs, ...(t.caFile && { caFile: t.caFile }) };
  switch (t.type) {
    case 'webhook':
      return async (n, nowSec) => {
        const body = JSON.stringify(n);
        const headers: Record<string, string> = { 'content-type': 'application/json', 'idempotency-key': n.idempotencyKey, 'user-agent': 'pmi-agent' };
        if (secret) headers['x-pmi-signature'] = signature(secret, nowSec, body);
        await expect2xx(io.http({ method: 'POST', url: t.url, headers, body, ...tls }));
      };
    case 'ntfy':
      return async (n) => {
        const headers: Record<string, string> = { title: title(n), priority: String(priority(n)), tags: n.status === 'resolved' ? 'white_check_mark' : 'rotating_light', 'x-idempotency-key': n.idempotencyKey };
        if (secret) headers.authorization = `Bearer ${secret}`;
        await expect2xx(io.http({ method: 'POST', url: `${trimSlash(t.url)}/${encodeURIComponent(t.topic)}`, headers, body: text(n), ...tls }));
      };
    case 'gotify':
      return async (n) => {
        const body = JSON.stringify({ title: title(n), message: text(n), priority: priority(n) + 3, extras: { 'pmi::idempotencyKey': n.idempotencyKey } });
        await expect2xx(io.http({ method: 'POST', url: `${trimSlash(t.url)}/message`, headers: { 'content-type': 'application/json', 'x-gotify-key': secret ?? '' }, body, ...tls }));
      };
    case 'slack':
      return async (n) => {
        const body = JSON.stringify({ text: `*${title(n)}*\n${text(n)}` });
        await expect2xx(io.http({ method: 'POST', url: secret ?? t.url!, headers: { 'content-type': 'application/json' }, body, ...tls }));
      };
    case 'smtp':
      return async (n) => {
        await io.smtp({
          host: t.host, port: t.port, security: t.security, ...(t.user && { user: t.user }), ...(secret && { password: secret }),
          ...(t.caFile && { caFile: t.caFile }), timeoutMs: t.timeoutMs, from: t.from, to: t.to,
          subject: title(n), text: text(n), headers: { 'X-PMI-Idempotency-Key': n.idempotencyKey },
        });
      };
  }
}
