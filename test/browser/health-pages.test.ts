// The health pages (issue #15) in a real browser behind the shipped nginx config: the Backups page
// (filter, sort, the hostile guest name as text), the Health section of a cluster page and the
// coverage section of the agent page, with no console error, failed request or CSP violation.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openAgent } from '../../agent/main.ts';
import { startSimulator, type SimHandle } from '../../scripts/pve-sim/index.ts';
import { logSink, writeAgentConfig, type AgentDirs } from '../support/agent-fixture.ts';
import { NGINX_BIN, startNginx, type NginxHandle } from '../support/nginx.ts';
import { launchChromium } from '../support/browser.ts';
import { healthEveryAll } from '../../agent/config/health-config.schema.ts';

const EVERY_CYCLE = healthEveryAll(5);
const HOSTILE_NAME = '<img src=x onerror=alert(1)>';

let sim: SimHandle;
let dirs: AgentDirs;
let nginx: NginxHandle;
let browser: Browser;

beforeAll(async () => {
  if (!NGINX_BIN) return;
  // a fixed clock: backup ages (and so which guest is overdue) depend on the time of day
  let now = Date.UTC(2026, 11, 7, 9, 30, 0);
  sim = await startSimulator({ seed: 6, nodesPerCluster: 3, guests: 20, hostileNames: true, now: () => now });
  dirs = writeAgentConfig(sim, (c) => {
    c.health = { every: EVERY_CYCLE, logsPerNodePerHour: 100_000 };
  });
  const agent = await openAgent(dirs.configPath, { intervalSeconds: 5, logDestination: logSink().stream, now: () => now }, false);
  try {
    for (let i = 0; i < 3; i++) {
      await agent.runCycle();
      now += 5000;
    }
  } finally {
    await agent.close();
  }
  nginx = await startNginx(join(dirs.site, 'current'));
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await nginx?.stop();
  await sim?.stop();
  if (dirs) rmSync(dirs.dir, { recursive: true, force: true });
});

async function open(path: string): Promise<{ page: Page; problems: string[]; dialogs: string[] }> {
  const page = await browser.newPage();
  const problems: string[] = [];
  const dialogs: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console error: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('response', (r) => {
    if (r.status() >= 400) problems.push(`${r.status()} ${r.url()}`);
  });
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  const res = await page.goto(`${nginx.url}/${path}`);
  expect(res?.status(), path).toBe(200);
  return { page, problems, dialogs };
}

describe.skipIf(!NGINX_BIN)('health pages in Chromium', () => {
  it('Backups: worst first, filter and sort work, the hostile name is text', async () => {
    const { page, problems, dialogs } = await open('backups.html');
    await expect(page.locator('h1').textContent()).resolves.toBe('Backups');
    const rows = page.locator('#backups tbody tr');
    const total = await rows.count();
    expect(total).toBe(19); // 20 guests, one template
    await expect(rows.first().locator('td').nth(2).textContent()).resolves.toBe('never backed up');
    await expect(page.getByText(HOSTILE_NAME, { exact: false }).first().isVisible()).resolves.toBe(true);
    expect(await page.locator('img[src="x"]').count()).toBe(0);
    await page.fill('#f-backups', 'older than RPO');
    expect(await page.locator('#backups tbody tr:not([hidden])').count()).toBeGreaterThanOrEqual(1);
    await page.fill('#f-backups', '');
    await page.click('#backups thead button.sort:text("Age")');
    await page.click('#backups thead button.sort:text("Age")');
    const ages = (await page.locator('#backups tbody tr').evaluateAll((trs) => trs.map((tr) => Number((tr as HTMLTableRowElement).cells[3]!.getAttribute('data-v')))));
    expect(ages).toEqual([...ages].sort((a, b) => b - a));
    expect(await page.locator('#no-job li').count()).toBe(1);
    expect(problems).toEqual([]);
    expect(dialogs).toEqual([]);
    await page.close();
  });

  it('the cluster page shows its Health section; the agent page its coverage', async () => {
    const c = await open(`clusters/${sim.clusters[0]!.name}.html`);
    await expect(c.page.locator('#health-h').isVisible()).resolves.toBe(true);
    expect(await c.page.locator('#h-disks tbody tr').count()).toBe(9);
    await expect(c.page.locator('#h-disks td.bad').first().textContent()).resolves.toMatch(/FAILED|% used/);
    expect(c.problems).toEqual([]);
    await c.page.close();
    const a = await open('agent.html');
    await expect(a.page.locator('#coverage-h').isVisible()).resolves.toBe(true);
    expect(await a.page.locator('table.coverage tbody tr').count()).toBeGreaterThanOrEqual(10);
    expect(a.problems).toEqual([]);
    await a.page.close();
  });
});
