// The REAL generated site (the agent's run against the simulator) behind the shipped nginx config,
// loaded in Chromium: every kind of page renders, charts included, with no CSP violation and no
// script error — i.e. the Content-Security-Policy in systemd/nginx-pmi-dashboard.conf fits the site.
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAgent } from '../../agent/main.ts';
import { startSimulator, type SimHandle } from '../../scripts/pve-sim/index.ts';
import { logSink, writeAgentConfig, type AgentDirs } from '../support/agent-fixture.ts';
import { NGINX_BIN, startNginx, type NginxHandle } from '../support/nginx.ts';
import { launchChromium } from '../support/browser.ts';

let sim: SimHandle;
let dirs: AgentDirs;
let nginx: NginxHandle;
let browser: Browser;

beforeAll(async () => {
  if (!NGINX_BIN) return;
  sim = await startSimulator({ seed: 11, nodesPerCluster: 2, guests: 8, hostileNames: true });
  dirs = writeAgentConfig(sim);
  const code = await runAgent(dirs.configPath, { maxCycles: 2, intervalSeconds: 5, logDestination: logSink().stream });
  expect(code).toBe(0);
  nginx = await startNginx(join(dirs.site, 'current'));
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await nginx?.stop();
  await sim?.stop();
  if (dirs) rmSync(dirs.dir, { recursive: true, force: true });
});

/** Pages of every kind the site has: the top-level ones, a cluster, a node (charts) and a guest. */
function pagesToVisit(): string[] {
  const root = join(dirs.site, 'current');
  const top = readdirSync(root).filter((f) => f.endsWith('.html'));
  const cluster = readdirSync(join(root, 'clusters')).map((f) => `clusters/${f}`);
  const c = readdirSync(join(root, 'nodes'))[0]!;
  const node = `nodes/${c}/${readdirSync(join(root, 'nodes', c)).find((f) => f.endsWith('.html'))!}`;
  // a running guest: a stopped one or a template has no charts, only a line saying why (issue 14)
  const status = JSON.parse(readFileSync(join(root, 'status.json'), 'utf8')) as { guest_fields: string[]; guests: unknown[][] };
  const f = (k: string) => status.guest_fields.indexOf(k);
  const running = status.guests.find((g) => g[f('cluster')] === c && g[f('status')] === 'running')!;
  const vmid = running[f('vmid')] as number;
  const guest = `g/${c}/${Math.floor(vmid / 100)}xx/${vmid}.html`;
  return [...top, cluster[0]!, node, guest];
}

describe.skipIf(!NGINX_BIN)(`the generated site through nginx in Chromium${NGINX_BIN ? '' : ' — SKIPPED: nginx not installed'}`, () => {
  it('renders every kind of page without CSP violations or script errors', async () => {
    const pages = pagesToVisit();
    expect(pages).toEqual(expect.arrayContaining(['index.html']));
    const problems: string[] = [];
    let charts = 0;
    for (const path of pages) {
      const page = await browser.newPage();
      page.on('console', (m) => {
        // Chromium asks for /favicon.ico on its own; the site has none (not a CSP matter).
        if (m.location().url.endsWith('/favicon.ico')) return;
        if (m.type() === 'error' || /Content Security Policy/i.test(m.text())) problems.push(`${path}: console ${m.type()}: ${m.text()} (${m.location().url})`);
      });
      page.on('pageerror', (e) => problems.push(`${path}: pageerror ${e.message}`));
      page.on('response', (r) => {
        if (r.status() >= 400) problems.push(`${path}: ${r.status()} for ${r.url().replace(nginx.url, '')}`);
      });
      await page.addInitScript(() => {
        const w = window as unknown as { __csp: string[] };
        w.__csp = [];
        document.addEventListener('securitypolicyviolation', (e) => w.__csp.push(`${e.violatedDirective} ${e.blockedURI} ${e.sample}`));
      });
      const res = await page.goto(`${nginx.url}/${path}`);
      expect(res?.status(), path).toBe(200);
      expect(res?.headers()['content-security-policy'], path).toContain("script-src 'self'");
      if (path.startsWith('nodes/') || path.startsWith('g/')) {
        await page.waitForSelector('svg.apexcharts-svg', { timeout: 15_000 });
        charts += await page.locator('svg.apexcharts-svg').count();
        const box = await page.locator('svg.apexcharts-svg').first().boundingBox();
        if (box) await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
      }
      await page.waitForTimeout(300);
      for (const v of await page.evaluate(() => (window as unknown as { __csp: string[] }).__csp)) problems.push(`${path}: CSP ${v}`);
      await page.close();
    }
    expect(problems).toEqual([]);
    expect(charts).toBeGreaterThan(0);
  }, 120_000);

  it('serves the real assets as immutable and pages/JSON as no-cache', async () => {
    const root = join(dirs.site, 'current');
    const assets = readdirSync(join(root, 'assets'));
    expect(assets.length).toBeGreaterThan(0);
    for (const a of assets) {
      const res = await fetch(`${nginx.url}/assets/${a}`);
      expect(`${a} ${res.status} ${res.headers.get('cache-control')}`).toBe(`${a} 200 public, max-age=31536000, immutable`);
    }
    for (const p of ['index.html', 'status.json']) {
      const res = await fetch(`${nginx.url}/${p}`);
      expect(`${p} ${res.status} ${res.headers.get('cache-control')}`).toBe(`${p} 200 no-cache`);
    }
  });
});
