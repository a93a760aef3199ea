// The real agent against the real simulator over HTTPS: a node taken offline in the simulator
// fires node-offline after its `for`, reaches an HTTPS webhook on
// loopback, and resolves (with a resolved notice) when the node is back; the heartbeat URL is
// called after every good cycle. The clock is injected (one minute per cycle).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { startSimulator } from '../../scripts/pve-sim/index.ts';
import type { SimHandle } from '../../scripts/pve-sim/types.ts';
import { openAgent, type AgentParts } from '../../agent/main.ts';
import { logSink, writeAgentConfig } from '../support/agent-fixture.ts';
import { caPem, startWebhookReceiver, type WebhookReceiver } from '../support/alert-receivers.ts';
import type { Notification } from '../../agent/alerts/notify/notification.ts';

let sim: SimHandle;
let hook: WebhookReceiver;
let beats = 0;
let beatServer: Server;
let clock = Date.UTC(2026, 11, 7, 1, 0);

beforeAll(async () => {
  sim = await startSimulator({ seed: 11, guests: 30, now: () => clock });
  hook = await startWebhookReceiver();
  beatServer = createServer((_req, res) => { beats++; res.end('ok'); });
  await new Promise<void>((r) => beatServer.listen(0, '127.0.0.1', () => r()));
});
afterAll(async () => {
  await hook?.close();
  await new Promise<void>((r) => beatServer.close(() => r()));
  await sim?.stop();
});

async function waitFor(pred: () => boolean, what: string, log: () => string) {
  const end = Date.now() + 20_000;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}; state and agent log:\n${log().slice(0, 3000)}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('alerts in the running agent', () => {
  it('node offline, then the cluster unreachable, in the simulator: fire after `for`, notify (signed), mute, resolve', async () => {
    const dirs = writeAgentConfig(sim, (c) => {
      c.pollIntervalSeconds = 60;
      c.alerts = {
        targets: [{ name: 'hook', type: 'webhook', url: hook.url, caFile: 'ca.pem', secretFile: 'hook-secret' }],
        routes: [{ targets: ['hook'], groupWaitSeconds: 0, matchers: [{ label: 'alertname', value: 'node-offline' }] }],
        heartbeatUrl: `http://127.0.0.1:${(beatServer.address() as AddressInfo).port}/beat`,
        dispatchIntervalMs: 50,
      };
    });
    writeFileSync(join(dirs.dir, 'ca.pem'), await caPem());
    writeFileSync(join(dirs.dir, 'hook-secret'), 'e2e-secret\n', { mode: 0o600 });
    const sink = logSink();
    const state = () => {
      const db = new Database(dirs.database, { readonly: true });
      try {
        return JSON.stringify({ nodes: db.prepare('select node, status from nodes').all(), alerts: db.prepare('select rule, state, labels, muted from alert_instances').all() }) + '\n' + sink.text();
      } finally {
        db.close();
      }
    };
    const parts: AgentParts = await openAgent(dirs.configPath, { logDestination: sink.stream, now: () => clock }, false);
    const cluster = sim.clusters[0]!.name;
    const node = 'pve2';
    try {
      await parts.startInbox(); // starts the alert dispatcher (no inbox in this mode)
      const cycle = async () => {
        clock += 60_000;
        return parts.runCycle();
      };
      await cycle();
      expect(beats).toBe(1);
      sim.faults.set({ cluster, node }, { kind: 'offline' });
      for (let i = 0; i < 4; i++) await cycle();
      await waitFor(() => hook.received.length >= 1, 'the node-offline notification', state);
      const fired = JSON.parse(hook.received[0]!.body) as Notification;
      expect(fired.alerts.map((a) => [a.alertname, a.status, a.labels.node])).toEqual([['node-offline', 'firing', node]]);
      expect(String(hook.received[0]!.headers['x-pmi-signature'])).toMatch(/^t=\d+,sha256=[0-9a-f]{64}$/);
      // the site's Atom feeds, global and per cluster
      const feed = readFileSync(join(dirs.site, 'current', 'alerts', `${cluster}.atom`), 'utf8');
      expect(feed).toContain(`<title>[FIRING] critical: Node ${node} of ${cluster} is offline</title>`);
      expect(readFileSync(join(dirs.site, 'current', 'alerts.atom'), 'utf8')).toContain('<category term="node-offline"/>');
      // status.json carries the alerts (counts and the firing list) next to everything it had
      const status = JSON.parse(readFileSync(join(dirs.site, 'current', 'status.json'), 'utf8')) as { v: number; guests: unknown[]; alerts: { counts: Record<string, number>; firing: Array<{ rule: string; labels: Record<string, string>; muted: string | null; silenced: string | null }> } };
      expect(status.v).toBe(1);
      expect(status.guests.length).toBeGreaterThan(0);
      expect(status.alerts.counts.firing).toBe(status.alerts.firing.length);
      expect(status.alerts.firing).toContainEqual(expect.objectContaining({ rule: 'node-offline', labels: { cluster, node }, muted: null, silenced: null }));
      const page = readFileSync(join(dirs.site, 'current', 'alerts.html'), 'utf8');
      expect(page.slice(page.indexOf('<h2>Firing</h2>'), page.indexOf('<h2>Pending</h2>'))).toContain(`Node ${node} of ${cluster} is offline`);

      const db = new Database(dirs.database, { readonly: true });
      const firing = db.prepare("select rule from alert_instances where state = 'firing' and muted is null").all().map((r) => (r as { rule: string }).rule);
      expect(firing).toContain('node-offline');
      db.close();

      sim.faults.clear({ cluster, node });
      for (let i = 0; i < 3; i++) await cycle();
      await waitFor(() => hook.received.length >= 2, 'the resolved notice', state);
      const resolved = JSON.parse(hook.received[1]!.body) as Notification;
      expect(resolved.alerts.map((a) => [a.alertname, a.status])).toEqual([['node-offline', 'resolved']]);
      expect(beats).toBeGreaterThanOrEqual(5);

      // The whole cluster unreachable: the agent's own polls fail, poll-failing fires after its
      // `for` and mutes the cluster's other alerts (data-stale among them); no heartbeat then.
      const beatsBefore = beats;
      sim.faults.set({ cluster }, { kind: 'offline' });
      for (let i = 0; i < 7; i++) await cycle();
      const db2 = new Database(dirs.database, { readonly: true });
      const rows = db2.prepare("select rule, muted from alert_instances where state = 'firing'").all() as { rule: string; muted: string | null }[];
      db2.close();
      expect(rows.find((r) => r.rule === 'poll-failing')?.muted).toBeNull();
      expect(rows.find((r) => r.rule === 'data-stale')?.muted).toBe(`poll-failing (cluster=${cluster})`);
      expect(beats).toBe(beatsBefore);
      sim.faults.clear({ cluster });
      for (let i = 0; i < 4; i++) await cycle();
      const db3 = new Database(dirs.database, { readonly: true });
      const after = db3.prepare("select rule from alert_instances where state = 'firing' and rule in ('poll-failing', 'data-stale')").all();
      db3.close();
      expect(after).toEqual([]);
      expect(beats).toBeGreaterThan(beatsBefore);
      expect(sink.text()).not.toContain('e2e-secret');
    } finally {
      await parts.close();
    }
  }, 120_000);
});
