// Delivery through the persistent outbox to real receivers on loopback: an HTTPS webhook (body,
// HMAC signature, idempotency key, retries with backoff, a receiver down for an hour, a restart
// with undelivered notifications) and SMTP with STARTTLS. The clock is injected: no real hour.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase, type Store } from '../../agent/store/open-database.ts';
import { alertsDb, writeAlertChanges } from '../../agent/store/alerts.repository.ts';
import { AlertsConfig } from '../../agent/alerts/alerts-config.schema.ts';
import { createOutboxDispatcher } from '../../agent/alerts/notify/outbox-dispatcher.ts';
import { createSender, type Sender } from '../../agent/alerts/notify/senders.ts';
import { createHttpSend } from '../../agent/alerts/notify/http-post.ts';
import { smtpSend } from '../../agent/alerts/notify/smtp-send.ts';
import type { Notification } from '../../agent/alerts/notify/notification.ts';
import { createLogger } from '../../agent/log/logger.ts';
import { caPem, startSmtpReceiver, startWebhookReceiver, type WebhookReceiver } from '../support/alert-receivers.ts';

const SECRET = 'hook-secret-0123456789';
let dir: string;
let caFile: string;
let hook: WebhookReceiver;
const http = createHttpSend();
const log = createLogger({ level: 'silent' });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pmi-alert-delivery-'));
  caFile = join(dir, 'ca.pem');
  writeFileSync(caFile, await caPem());
  hook = await startWebhookReceiver();
});
afterAll(async () => {
  await hook.close();
  await http.close();
  rmSync(dir, { recursive: true, force: true });
});
afterEach(() => {
  hook.received.length = 0;
  hook.status = 200;
});

let dbn = 0;
async function freshDb(): Promise<{ store: Store; file: string }> {
  const file = join(dir, `db${++dbn}.sqlite`);
  return { store: await openDatabase(file), file };
}

const event = (name: string, status: 'firing' | 'resolved' = 'firing') => ({
  status, kind: status, alertname: name, severity: 'critical', summary: `${name} happened`, labels: { alertname: name, cluster: 'lab', severity: 'critical' },
  fingerprint: '{"cluster":"lab"}', startsAt: '2026-12-07T00:00:00.000Z', endsAt: null, runbook: null,
});

async function enqueue(store: Store, name: string, at: number, groupKey = `0:["${name}","lab"]`, status: 'firing' | 'resolved' = 'firing') {
  await writeAlertChanges(alertsDb(store.db), { upserts: [], deletes: [], transitions: [], queue: [{ target: 'hook', groupKey, kind: status, event: event(name, status), createdAt: at, dueAt: at + 30 }] });
}

function webhookDispatcher(store: Store, clock: { ms: number }, onDelivered?: (n: Notification) => void) {
  const cfg = AlertsConfig.parse({ targets: [{ name: 'hook', type: 'webhook', url: hook.url, caFile, secret: SECRET, timeoutMs: 5000 }], routes: [{ targets: ['hook'] }] });
  const senders = new Map<string, Sender>([['hook', createSender(cfg.targets[0]!, SECRET, { http, smtp: smtpSend })]]);
  return createOutboxDispatcher({ db: store.db, senders, routes: cfg.routes, now: () => clock.ms, log, retryBaseMs: 5000, retryMaxMs: 600_000, intervalMs: 1000, ...(onDelivered && { onDelivered }) });
}

const bodies = () => hook.received.map((r) => JSON.parse(r.body) as Notification);

describe('webhook delivery', () => {
  it('waits groupWait, then sends one signed JSON body per group with an idempotency key', async () => {
    const { store } = await freshDb();
    const clock = { ms: 1_000_000 * 1000 };
    const d = webhookDispatcher(store, clock);
    await enqueue(store, 'node-offline', 1_000_000);
    await enqueue(store, 'node-offline', 1_000_005);
    await d.kick();
    expect(hook.received).toHaveLength(0); // groupWait (30 s) not over
    clock.ms += 30_000;
    await d.kick();
    expect(hook.received).toHaveLength(1);
    const r = hook.received[0]!;
    const n = JSON.parse(r.body) as Notification;
    expect(n).toMatchObject({ version: 1, status: 'firing', groupLabels: { alertname: 'node-offline', cluster: 'lab' }, sentBy: 'pmi-agent' });
    expect(n.alerts).toHaveLength(2);
    expect(r.headers['idempotency-key']).toBe(n.idempotencyKey);
    const sig = String(r.headers['x-pmi-signature']);
    const [, t, hex] = /^t=(\d+),sha256=([0-9a-f]{64})$/.exec(sig)!;
    expect(hex).toBe(createHmac('sha256', SECRET).update(`${t}.${r.body}`).digest('hex'));
    const attempts = store.sqlite.prepare('select ok from alert_delivery_attempts').all();
    expect(attempts).toEqual([{ ok: 1 }]);
    await d.kick();
    expect(hook.received).toHaveLength(1); // delivered once
    await store.close();
  });

  it('retries with backoff after failures and records every attempt', async () => {
    const { store } = await freshDb();
    const clock = { ms: 2_000_000 * 1000 };
    const d = webhookDispatcher(store, clock);
    let count = 0;
    hook.status = () => (++count <= 2 ? 503 : 200);
    await enqueue(store, 'storage-full', 2_000_000 - 30);
    await d.kick(); // attempt 1 fails: next in 5 s
    expect(hook.received).toHaveLength(0);
    clock.ms += 4000;
    await d.kick(); // not yet due
    expect(count).toBe(1);
    clock.ms += 1000;
    await d.kick(); // attempt 2 fails: next in 10 s
    clock.ms += 10_000;
    await d.kick(); // attempt 3 succeeds
    expect(hook.received).toHaveLength(1);
    const rows = store.sqlite.prepare('select ok, detail from alert_delivery_attempts order by id').all() as { ok: number; detail: string | null }[];
    expect(rows.map((r) => r.ok)).toEqual([0, 0, 1]);
    expect(rows[0]!.detail).toContain('HTTP 503');
    await store.close();
  });

  it('a receiver down for an hour gets everything afterwards, in order, once', async () => {
    const { store } = await freshDb();
    const clock = { ms: 3_000_000 * 1000 };
    const d = webhookDispatcher(store, clock);
    await hook.down();
    const names = ['a1', 'a2', 'a3', 'a4', 'a5'];
    for (const [i, n] of names.entries()) {
      await enqueue(store, n, 3_000_000 + i * 600 - 30);
      for (let s = 0; s < 600; s += 60) {
        clock.ms = (3_000_000 + i * 600 + s) * 1000;
        await d.kick();
      }
    }
    clock.ms = (3_000_000 + 3600) * 1000;
    await d.kick();
    expect(hook.received).toHaveLength(0);
    const failed = (store.sqlite.prepare('select count(*) as n from alert_delivery_attempts where ok = 0').get() as { n: number }).n;
    expect(failed).toBeGreaterThan(3);
    await hook.up();
    clock.ms += 3_600_000; // past the longest backoff
    await d.kick();
    expect(bodies().map((b) => b.alerts[0]!.alertname)).toEqual(names);
    await d.kick();
    expect(hook.received).toHaveLength(5);
    await store.close();
  });

  it('a restart with undelivered notifications loses none and duplicates none', async () => {
    const { store, file } = await freshDb();
    const clock = { ms: 4_000_000 * 1000 };
    let d = webhookDispatcher(store, clock);
    await enqueue(store, 'before-1', 4_000_000 - 30);
    await d.kick();
    expect(hook.received).toHaveLength(1); // one delivered before the "crash"
    await hook.down();
    await enqueue(store, 'before-2', 4_000_000 - 30);
    await enqueue(store, 'before-3', 4_000_000 - 20, '0:["other","lab"]');
    await d.kick(); // both fail: receiver down
    await d.stop();
    await store.close();

    const store2 = await openDatabase(file);
    d = webhookDispatcher(store2, clock);
    await hook.up();
    clock.ms += 600_000;
    await d.kick();
    await d.kick();
    const names = bodies().map((b) => b.alerts[0]!.alertname);
    expect(names).toEqual(['before-1', 'before-2', 'before-3']);
    expect(new Set(bodies().map((b) => b.idempotencyKey)).size).toBe(3);
    const undelivered = store2.sqlite.prepare('select count(*) as n from alert_outbox where delivered_at is null').get() as { n: number };
    expect(undelivered.n).toBe(0);
    await store2.close();
  });
});

describe('other targets', () => {
  it('SMTP over STARTTLS with authentication', async () => {
    const smtp = await startSmtpReceiver({ user: 'pmi', password: 'mail-pass' });
    try {
      const cfg = AlertsConfig.parse({ targets: [{ name: 'mail', type: 'smtp', host: '127.0.0.1', port: smtp.port, security: 'starttls', user: 'pmi', from: 'pmi@example.test', to: ['ops@example.test'], caFile, secret: 'mail-pass' }] });
      const send = createSender(cfg.targets[0]!, 'mail-pass', { http, smtp: smtpSend });
      await send({ version: 1, idempotencyKey: 'k1', status: 'firing', groupKey: 'g', groupLabels: { alertname: 'node-offline', cluster: 'lab' }, alerts: [event('node-offline')], sentBy: 'pmi-agent' }, 1);
      expect(smtp.mails).toHaveLength(1);
      const m = smtp.mails[0]!;
      expect(m.secure).toBe(true);
      expect(m.to).toEqual(['ops@example.test']);
      expect(m.raw).toContain('Subject: [FIRING] node-offline cluster=lab');
      expect(m.raw).toContain('CRITICAL node-offline happened');
      expect(m.raw).toMatch(/^X-PMI-Idempotency-Key: k1$/im);
    } finally {
      await smtp.close();
    }
  });

  it('ntfy, Gotify and Slack-compatible requests', async () => {
    const n: Notification = { version: 1, idempotencyKey: 'k2', status: 'resolved', groupKey: 'g', groupLabels: { alertname: 'x' }, alerts: [event('x', 'resolved')], sentBy: 'pmi-agent' };
    const base = hook.url.replace('/hook', '');
    const targets = AlertsConfig.parse({
      targets: [
        { name: 'n', type: 'ntfy', url: base, topic: 'pmi alerts', caFile, secret: 'tk' },
        { name: 'g', type: 'gotify', url: base, caFile, secret: 'app-token' },
        { name: 's', type: 'slack', url: `${base}/services/T/B/X`, caFile },
      ],
    }).targets;
    for (const t of targets) await createSender(t, t.type === 'slack' ? undefined : t.secret, { http, smtp: smtpSend })(n, 1);
    const [ntfy, gotify, slack] = hook.received;
    expect(ntfy!.path).toBe('/pmi%20alerts');
    expect(ntfy!.headers).toMatchObject({ title: '[RESOLVED] x', authorization: 'Bearer tk', priority: '2' });
    expect(gotify!.path).toBe('/message');
    expect(gotify!.headers['x-gotify-key']).toBe('app-token');
    expect(JSON.parse(gotify!.body)).toMatchObject({ title: '[RESOLVED] x' });
    expect(slack!.path).toBe('/services/T/B/X');
    expect(JSON.parse(slack!.body).text).toContain('*[RESOLVED] x*');
  });
});
