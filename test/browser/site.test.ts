// The built site in a real browser: the agent polls the simulator (hostile names on) for a few
// cycles, the shipped nginx config serves the result, Chromium (playwright-core) looks at it.
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAgent } from '../../agent/main.ts';
import { startSimulator, type SimHandle } from '../../scripts/pve-sim/index.ts';
import { logSink, writeAgentConfig, type AgentDirs } from '../support/agent-fixture.ts';
import { NGINX_BIN, startNginx, type NginxHandle } from '../support/nginx.ts';
import { launchChromium } from '../support/browser.ts';

const ARTIFACTS = resolve(import.meta.dirname, '../../test-artifacts');
const HOSTILE_NAME = '<img src=x onerror=alert(1)>';
const HOSTILE_TAG = '"><script>alert(1)</script>';

let sim: SimHandle;
let dirs: AgentDirs;
let nginx: NginxHandle;
let browser: Browser;

beforeAll(async () => {
  if (!NGINX_BIN) return;
  mkdirSync(ARTIFACTS, { recursive: true });
  sim = await startSimulator({ seed: 6, nodesPerCluster: 3, guests: 20, hostileNames: true, taskTimeScale: 0.05 });
  dirs = writeAgentConfig(sim);
  const code = await runAgent(dirs.configPath, { maxCycles: 3, intervalSeconds: 5, logDestination: logSink().stream });
  expect(code).toBe(0);
  nginx = await startNginx(join(dirs.site, 'current'));
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await nginx?.stop();
  await sim?.stop();
  if (dirs) rmSync(dirs.dir, { recursive: true, force: true });
});

interface Watched {
  page: Page;
  problems: string[];
  dialogs: string[];
}

/** A page that records console errors, failed and off-host requests, dialogs and CSP violations. */
async function watchedPage(ctx: BrowserContext | Browser, opts: { width?: number } = {}): Promise<Watched> {
  const page = await ctx.newPage(opts.width ? { viewport: { width: opts.width, height: 800 } } : {});
  const problems: string[] = [];
  const dialogs: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console error: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('request', (r) => {
    const u = new URL(r.url());
    if (u.protocol === 'data:' || u.protocol === 'blob:') return;
    if (u.hostname !== '127.0.0.1') problems.push(`request left 127.0.0.1: ${r.url()}`);
  });
  page.on('response', (r) => {
    // Any 4xx/5xx counts, /favicon.ico included: pages declare an inline icon, so none is requested.
    if (r.status() >= 400) problems.push(`${r.status()} ${r.url()}`);
  });
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  await page.addInitScript(() => {
    const w = window as unknown as { __csp: string[] };
    w.__csp = [];
    document.addEventListener('securitypolicyviolation', (e) => w.__csp.push(`${e.violatedDirective} ${e.blockedURI} ${e.sample}`));
  });
  return { page, problems, dialogs };
}

async function cspViolations(page: Page): Promise<string[]> {
  return page.evaluate(() => (window as unknown as { __csp: string[] }).__csp);
}

/** The page of the guest carrying the hostile name (vmid from status.json). */
async function hostileGuestPath(): Promise<string> {
  const status = (await (await fetch(`${nginx.url}/status.json`)).json()) as { guest_fields: string[]; guests: unknown[][] };
  const f = (n: string) => status.guest_fields.indexOf(n);
  const g = status.guests.find((x) => x[f('name')] === HOSTILE_NAME)!;
  expect(g, 'the simulator produced the hostile guest').toBeDefined();
  return `g/${g[f('cluster')]}/${Math.floor(Number(g[f('vmid')]) / 100)}xx/${g[f('vmid')]}.html`;
}

/** A running guest's page. */
async function runningGuestPath(): Promise<string> {
  const status = (await (await fetch(`${nginx.url}/status.json`)).json()) as { guest_fields: string[]; guests: unknown[][] };
  const f = (n: string) => status.guest_fields.indexOf(n);
  const g = status.guests.find((x) => x[f('status')] === 'running' && x[f('cpu')] !== null)!;
  return `g/${g[f('cluster')]}/${Math.floor(Number(g[f('vmid')]) / 100)}xx/${g[f('vmid')]}.html`;
}

describe.skipIf(!NGINX_BIN)(`the site in Chromium behind nginx${NGINX_BIN ? '' : ' — SKIPPED: nginx not installed'}`, () => {
  it('renders the overview with its summary and tables, without console errors or CSP violations', async () => {
    const { page, problems, dialogs } = await watchedPage(browser);
    const res = await page.goto(`${nginx.url}/index.html`);
    expect(res?.status()).toBe(200);
    await expect(page.locator('h1').textContent()).resolves.toBe('Fleet overview');
    expect(await page.locator('#nodes tbody tr').count()).toBe(3);
    // engine (#13): the overview links to the table of every guest instead of carrying it.
    expect(await page.locator('#guests').count()).toBe(0);
    await expect(page.locator('#guests-link a').textContent()).resolves.toBe('All 20 guests');
    await page.click('#guests-link a');
    await page.waitForURL(/\/guests\.html$/);
    expect(await page.locator('#guests tbody tr').count()).toBe(20);
    await page.waitForTimeout(500);
    expect(await cspViolations(page)).toEqual([]);
    expect(problems).toEqual([]);
    expect(dialogs).toEqual([]);
    await page.close();
  });

  it('draws a chart as an SVG with data points, and switches ranges', async () => {
    const { page, problems } = await watchedPage(browser);
    await page.goto(`${nginx.url}/${await runningGuestPath()}`);
    await page.waitForSelector('#chart-cpu svg.apexcharts-svg', { timeout: 20_000 });
    // Three cycles: the first sample comes from the guest's raw chunk, the next two from the
    // live file; all three are in the chart's data. A gap longer than twice the interval beside it
    // is not drawn as a line (charts #14), and a loaded machine can delay one cycle that much, so
    // only one segment is certain: of two neighbouring intervals at most one is a gap. A
    // backfilled point far before them is its own piece of the line, so all pieces count.
    const points = (await page.locator('#chart-cpu').getAttribute('data-points'))!.split('|').map(Number);
    expect(points[0]).toBeGreaterThanOrEqual(3);
    const d = (await page.locator('#chart-cpu .apexcharts-series path.apexcharts-line').evaluateAll((ps) => ps.map((p) => p.getAttribute('d') ?? ''))).join(' ');
    expect(d.match(/L/g)?.length ?? 0).toBeGreaterThanOrEqual(1);
    await expect(page.locator('[data-alt="cpu"]').textContent()).resolves.toMatch(/CPU now: CPU \d/);
    await page.click('button.range[data-range="24h"]');
    await expect(page.locator('button.range[data-range="24h"]').getAttribute('aria-pressed')).resolves.toBe('true');
    await expect(page.locator('button.range[data-range="1h"]').getAttribute('aria-pressed')).resolves.toBe('false');
    await page.waitForFunction(() => document.getElementById('chart-cpu')?.getAttribute('aria-label')?.includes('24h'));
    await page.click('button.range[data-range="1y"]');
    await page.waitForFunction(() => document.getElementById('chart-cpu')?.getAttribute('aria-label')?.includes('1y'));
    expect(await page.locator('#chart-cpu svg.apexcharts-svg').count()).toBe(1);
    expect(await cspViolations(page)).toEqual([]);
    expect(problems).toEqual([]);
    await page.close();
  });

  it('shows the hostile guest name and tag as text, runs no script from them', async () => {
    for (const path of ['guests.html', await hostileGuestPath()]) {
      const { page, problems, dialogs } = await watchedPage(browser);
      await page.goto(`${nginx.url}/${path}`);
      await page.waitForTimeout(800);
      await expect(page.getByText(HOSTILE_NAME, { exact: true }).first().isVisible(), path).resolves.toBe(true);
      await expect(page.getByText(HOSTILE_TAG, { exact: true }).first().isVisible(), path).resolves.toBe(true);
      expect(await page.locator('img[src="x"]').count(), path).toBe(0);
      expect(dialogs, path).toEqual([]);
      expect(problems, path).toEqual([]);
      expect(await cspViolations(page), path).toEqual([]);
      await page.close();
    }
  });

  it('toggles the theme and remembers it across a reload', async () => {
    const ctx = await browser.newContext({ colorScheme: 'light' });
    const { page, problems } = await watchedPage(ctx);
    await page.goto(`${nginx.url}/index.html`);
    const bg = () => page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    const light = await bg();
    await page.screenshot({ path: join(ARTIFACTS, 'overview-light.png'), fullPage: true });
    await page.click('#theme-toggle');
    await expect(page.locator('html').getAttribute('data-theme')).resolves.toBe('dark');
    const dark = await bg();
    expect(dark).not.toBe(light);
    await page.reload();
    await expect(page.locator('html').getAttribute('data-theme')).resolves.toBe('dark');
    expect(await bg()).toBe(dark);
    await expect(page.locator('#theme-toggle').getAttribute('aria-pressed')).resolves.toBe('true');
    await page.screenshot({ path: join(ARTIFACTS, 'overview-dark.png'), fullPage: true });
    await page.goto(`${nginx.url}/${await runningGuestPath()}`);
    await page.waitForSelector('#chart-cpu svg.apexcharts-svg', { timeout: 20_000 });
    await page.screenshot({ path: join(ARTIFACTS, 'guest-dark.png'), fullPage: true });
    expect(problems).toEqual([]);
    await ctx.close();
  });

  it('follows a dark system preference when nothing is stored', async () => {
    const ctx = await browser.newContext({ colorScheme: 'dark' });
    const page = await ctx.newPage();
    await page.goto(`${nginx.url}/index.html`);
    const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    expect(bg).toBe('rgb(18, 20, 23)');
    await ctx.close();
  });

  it('fills the live columns of guests.html from status.json (the page itself changes only with the inventory)', async () => {
    const { page, problems } = await watchedPage(browser);
    const html = await (await fetch(`${nginx.url}/guests.html`)).text();
    // As published, no current value is in the page: it would go stale between inventory changes.
    expect(html).not.toMatch(/<span class="v">\d/);
    await page.goto(`${nginx.url}/guests.html`);
    const col = async (name: string) => page.locator('#guests thead th').evaluateAll((ths, n) => ths.findIndex((th) => th.textContent!.trim() === n), name);
    const cpu = await col('CPU');
    const uptime = await col('Uptime');
    expect(cpu).toBeGreaterThan(0);
    const path = await runningGuestPath();
    const row = page.locator('#guests tbody tr', { has: page.locator(`a[href="${path}"]`) });
    await page.waitForFunction(({ path, cpu }) => {
      const tr = document.querySelector(`#guests a[href="${path}"]`)?.closest('tr');
      return tr !== null && tr !== undefined && /^\d+(\.\d)? %$/.test(tr.cells[cpu]!.textContent!.trim());
    }, { path, cpu }, { timeout: 10_000 });
    await expect(row.locator('td').nth(uptime).textContent()).resolves.toMatch(/^\d+[dhm] \d+[hms]$/);
    expect(problems).toEqual([]);
    await page.close();
  });

  it('filters the guest table', async () => {
    const { page, problems } = await watchedPage(browser);
    await page.goto(`${nginx.url}/guests.html`);
    const visible = () => page.locator('#guests tbody tr:not([hidden])').count();
    expect(await visible()).toBe(20);
    await page.fill('#f-guests', 'onerror');
    expect(await visible()).toBe(1);
    await page.fill('#f-guests', 'no-such-guest');
    expect(await visible()).toBe(0);
    await page.fill('#f-guests', '');
    expect(await visible()).toBe(20);
    // Sorting by ID descending puts the highest vmid first.
    await page.click('#guests thead button.sort:text("ID")');
    await page.click('#guests thead button.sort:text("ID")');
    const ids = await page.locator('#guests tbody tr td:nth-child(2)').allTextContents();
    expect(ids.map(Number)).toEqual([...ids.map(Number)].sort((a, b) => b - a));
    expect(problems).toEqual([]);
    await page.close();
  });

  it('fits a 375 px phone without horizontal scrolling', async () => {
    for (const path of ['index.html', await runningGuestPath(), 'tasks.html', 'agent.html']) {
      const { page, problems } = await watchedPage(browser, { width: 375 });
      await page.goto(`${nginx.url}/${path}`);
      await page.waitForTimeout(600);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      expect(overflow, path).toBeLessThanOrEqual(0);
      if (path === 'index.html') await page.screenshot({ path: join(ARTIFACTS, 'overview-phone.png'), fullPage: true });
      expect(problems, path).toEqual([]);
      await page.close();
    }
  });

  it('is keyboard navigable: the skip link comes first and moves focus to the content', async () => {
    const { page } = await watchedPage(browser);
    await page.goto(`${nginx.url}/index.html`);
    await page.keyboard.press('Tab');
    await expect(page.evaluate(() => document.activeElement?.textContent)).resolves.toBe('Skip to content');
    await page.keyboard.press('Enter');
    await expect(page.evaluate(() => document.activeElement?.id)).resolves.toBe('main');
    await page.close();
  });

  it('every page of the site loads without errors or CSP violations', async () => {
    const root = join(dirs.site, 'current');
    const c = readdirSync(join(root, 'nodes'))[0]!;
    const pages = [
      ...readdirSync(root).filter((f) => f.endsWith('.html')),
      ...readdirSync(join(root, 'clusters')).map((f) => `clusters/${f}`),
      ...readdirSync(join(root, 'nodes', c)).filter((f) => f.endsWith('.html')).map((f) => `nodes/${c}/${f}`),
    ];
    for (const path of pages) {
      const { page, problems, dialogs } = await watchedPage(browser);
      await page.goto(`${nginx.url}/${path}`);
      if (path.startsWith('nodes/')) await page.waitForSelector('svg.apexcharts-svg', { timeout: 20_000 });
      else await page.waitForTimeout(300);
      expect(await cspViolations(page), path).toEqual([]);
      expect(problems, path).toEqual([]);
      expect(dialogs, path).toEqual([]);
      await page.close();
    }
  });
});
