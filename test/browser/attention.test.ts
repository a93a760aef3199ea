// Issue #14 items 1, 7 and 8 in Chromium behind the shipped nginx config: the attention list for
// faults injected into the simulator, "All clear" for a clean one, the 375 px layout, the menu,
// the fleet-wide search, sort and filter kept in the URL, "no match", controls hidden without
// JavaScript and the stale banner naming the time of the last data.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAgent } from '../../agent/main.ts';
import { formatUpid } from '../../agent/pve/upid.ts';
import { startSimulator, type SimHandle } from '../../scripts/pve-sim/index.ts';
import { stopProcess } from '../../scripts/pve-sim/guest-state.ts';
import type { SimCluster } from '../../scripts/pve-sim/types.ts';
import { logSink, writeAgentConfig, type AgentDirs } from '../support/agent-fixture.ts';
import { NGINX_BIN, startNginx, type NginxHandle } from '../support/nginx.ts';
import { launchChromium } from '../support/browser.ts';

let faulty: { sim: SimHandle; dirs: AgentDirs; nginx: NginxHandle } | undefined;
let clean: { sim: SimHandle; dirs: AgentDirs; nginx: NginxHandle } | undefined;
let browser: Browser;
let stoppedVmid = 0;

const nowSec = () => Math.floor(Date.now() / 1000);

/** A failed vzdump of an hour ago, as Proxmox lists it in /cluster/tasks. */
function addFailedBackup(c: SimCluster): void {
  const g = [...c.guests.values()].find((x) => x.template === 0)!;
  const node = c.nodes.find((n) => n.name === g.node)!;
  const starttime = nowSec() - 3600;
  const pid = node.nextPid++;
  const pstart = (starttime - node.bootAt) * 100;
  c.tasks.push({
    upid: formatUpid({ node: node.name, pid, pstart, starttime, type: 'vzdump', id: String(g.vmid), user: 'root@pam' }),
    node: node.name, pid, pstart, starttime, type: 'vzdump', id: String(g.vmid), user: 'root@pam',
    endMs: (starttime + 120) * 1000, exitstatus: 'job errors', log: [`ERROR: Backup of VM ${g.vmid} failed - unable to open nas`], done: true,
  });
}

async function run(dirs: AgentDirs, cycles: number): Promise<void> {
  const log = logSink();
  const code = await runAgent(dirs.configPath, { maxCycles: cycles, intervalSeconds: 5, logDestination: log.stream });
  expect(code, log.text()).toBe(0);
}

beforeAll(async () => {
  if (!NGINX_BIN) return;
  // The faulty fleet: cluster1 carries guest, storage, task and node-API faults; cluster2 loses
  // two of its three nodes (no quorum); cluster3 stops answering after the first run (poll fails).
  const sim = await startSimulator({ seed: 6, clusters: 3, nodesPerCluster: 3, guests: 30, taskTimeScale: 0.05 });
  const [c1, c2] = sim.world.clusters as [SimCluster, SimCluster, SimCluster];
  c1.nodes[0]!.storages.find((s) => s.storage === 'local-lvm')!.level = 0.985;
  c1.nodes[1]!.storages.find((s) => s.storage === 'local-lvm')!.level = 0.885;
  [...c1.guests.values()].find((g) => g.status === 'running' && g.hastate === undefined && g.template === 0 && g.qmpstatus === 'running')!.hastate = 'error';
  addFailedBackup(c1);
  sim.faults.set({ cluster: c1.name, node: c1.nodes[2]!.name }, { kind: 'timeout596' });
  sim.faults.set({ cluster: c2.name, node: c2.nodes[1]!.name }, { kind: 'offline' });
  sim.faults.set({ cluster: c2.name, node: c2.nodes[2]!.name }, { kind: 'offline' });
  const dirs = writeAgentConfig(sim, (c) => { c.health = { enabled: false }; });
  await run(dirs, 2);
  // Between runs: a guest dies without any task or action, and cluster3's API fails.
  const victim = [...c1.guests.values()].find((g) => g.status === 'running' && g.qmpstatus === 'running' && g.hastate === undefined && !g.lock && g.template === 0)!;
  stoppedVmid = victim.vmid;
  stopProcess(victim, nowSec());
  sim.faults.set({ cluster: sim.clusters[2]!.name }, { kind: 'error500', message: 'simulated outage' });
  await run(dirs, 2);
  faulty = { sim, dirs, nginx: await startNginx(join(dirs.site, 'current')) };

  // The clean fleet: nothing paused, locked, failed or full.
  const sim2 = await startSimulator({ seed: 7, nodesPerCluster: 2, guests: 8, taskTimeScale: 0.05 });
  for (const c of sim2.world.clusters) {
    c.tasks.length = 0;
    for (const g of c.guests.values()) {
      delete g.lock;
      delete g.hastate;
      if (g.status === 'running') g.qmpstatus = 'running';
    }
    for (const n of c.nodes) {
      n.storages = n.storages.filter((s) => s.active === 1 && s.enabled === 1);
      for (const s of n.storages) {
        s.level = 0.3;
        delete s.growthPerDay;
      }
    }
  }
  const dirs2 = writeAgentConfig(sim2, (c) => { c.health = { enabled: false }; });
  await run(dirs2, 2);
  clean = { sim: sim2, dirs: dirs2, nginx: await startNginx(join(dirs2.site, 'current')) };
  browser = await launchChromium();
}, 240_000);

afterAll(async () => {
  await browser?.close();
  for (const f of [faulty, clean]) {
    await f?.nginx.stop();
    await f?.sim.stop();
    if (f) rmSync(f.dirs.dir, { recursive: true, force: true });
  }
});

async function open(url: string, opts: { width?: number; height?: number } = {}): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage({ viewport: { width: opts.width ?? 1440, height: opts.height ?? 900 } });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  await page.goto(url);
  return { page, errors };
}

describe.skipIf(!NGINX_BIN)(`attention, phone layout and navigation in Chromium${NGINX_BIN ? '' : ' — SKIPPED: nginx not installed'}`, () => {
  it('lists every injected fault, critical first, each linking to a page that exists', async () => {
    const { page, errors } = await open(`${faulty!.nginx.url}/index.html`);
    // The list is the first thing under the heading.
    await expect(page.locator('main > h1 + section').getAttribute('id')).resolves.toBe('attention');
    const items = await page.locator('#attention-list li').evaluateAll((lis) => lis.map((li) => ({
      level: li.classList.contains('att-crit') ? 'crit' : 'warn',
      text: (li.textContent ?? '').replace(/\s+/g, ' ').trim(),
      href: (li.querySelector('a') as HTMLAnchorElement).href,
    })));
    const texts = items.map((i) => `${i.level} ${i.text}`);
    const has = (re: RegExp, level: 'crit' | 'warn') => expect(texts.some((t) => t.startsWith(level) && re.test(t)), `${level} ${re} in:\n${texts.join('\n')}`).toBe(true);
    has(/cluster2 cluster has no quorum/, 'crit');
    has(/cluster2\/c2-pve2 node offline/, 'crit');
    has(/cluster3 polling fails since .*simulated outage/, 'crit');
    has(/local-lvm on cluster1\/c1-pve1 (9[5-9]|100) % full/, 'crit');
    has(/local-lvm on cluster1\/c1-pve2 (8[5-9]|9[0-4]) % full/, 'warn');
    has(/usb-backup on cluster1\/c1-pve1 not available/, 'warn');
    has(/cluster1\/c1-pve3 \d+ API calls? failing: .*596/, 'warn');
    has(/HA state error/, 'crit');
    has(/ paused \(cluster1\//, 'warn');
    has(/locked: backup/, 'warn');
    has(new RegExp(`^warn Warning ${stoppedVmid} \\S+ stopped at .* without a stop action or task`), 'warn');
    has(/vzdump failed at .*job errors/, 'crit');
    // Worst first: every critical item before every warning.
    const firstWarn = items.findIndex((i) => i.level === 'warn');
    expect(items.slice(firstWarn).every((i) => i.level === 'warn')).toBe(true);
    for (const href of new Set(items.map((i) => i.href))) expect((await fetch(href)).status, href).toBe(200);
    // The summary judges storage the way the list and the bars do.
    await expect(page.locator('.card', { hasText: 'Storage near full' }).locator('.card-v').textContent()).resolves.not.toBe('0');
    expect(await page.locator('#storage meter.u-crit').count()).toBeGreaterThan(0);
    expect(await page.locator('#storage meter.u-warn').count()).toBeGreaterThan(0);
    // The shared NFS storage is one row per cluster, not one per node.
    expect(await page.locator('#storage tbody tr', { hasText: 'nas' }).count()).toBe(3);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('says "All clear" with the time of the data when nothing is wrong', async () => {
    const { page } = await open(`${clean!.nginx.url}/index.html`);
    const text = (await page.locator('#all-clear').textContent())?.replace(/\s+/g, ' ');
    expect(text).toMatch(/^All clear: nothing needs attention in the data of \d{4}-\d\d-\d\d \d\d:\d\d UTC\.$/);
    expect(await page.locator('#attention-list').count()).toBe(0);
    await page.close();
  });

  it('at 375 px shows the attention list first and name, status, CPU and memory without scrolling sideways', async () => {
    const { page } = await open(`${faulty!.nginx.url}/index.html`, { width: 375, height: 667 });
    const top = await page.locator('#attention').boundingBox();
    expect(top!.y, 'the attention list starts on the first screen').toBeLessThan(667 / 2);
    // engine (#13): the guest table is on guests.html (the overview links to it)
    const guests = await browser.newPage({ viewport: { width: 375, height: 667 } });
    await guests.goto(`${faulty!.nginx.url}/guests.html`);
    for (const [table, p] of [['guests', guests], ['nodes', page]] as const) {
      const boxes = await p.locator(`#${table} thead th`).evaluateAll((ths) => ths.filter((th) => (th as HTMLElement).offsetParent !== null).map((th) => {
        const r = th.getBoundingClientRect();
        return { text: (th.textContent ?? '').trim(), left: r.left, right: r.right };
      }));
      const key = table === 'guests' ? ['Name', 'Status', 'CPU', 'Memory'] : ['Node', 'Status', 'CPU', 'Memory'];
      // Which content made a column too wide, should it ever be (it failed once at 401 px, not reproduced).
      const shown = await p.locator(`#${table} tbody tr`).evaluateAll((trs) => trs.map((tr) => Array.from((tr as HTMLTableRowElement).cells).filter((td) => td.offsetParent !== null).map((td) => (td.textContent ?? '').trim() + (td.querySelector('meter') ? ' [bar]' : '')).join(' | ')).join('\n'));
      for (const k of key) {
        const b = boxes.find((x) => x.text === k);
        expect(b, `${table}: column ${k} shown`).toBeDefined();
        expect(b!.left, `${table}: ${k}`).toBeGreaterThanOrEqual(0);
        expect(b!.right, `${table}: ${k} ends inside the 375 px viewport; rows:\n${shown}`).toBeLessThanOrEqual(375);
      }
    }
    // The first guest row's memory cell too (values, not only headers).
    const cells = await guests.locator('#guests tbody tr').first().evaluate((tr) => Array.from((tr as HTMLTableRowElement).cells).filter((td) => td.offsetParent !== null).slice(0, 4).map((td) => td.getBoundingClientRect().right));
    expect(cells).toHaveLength(4);
    for (const right of cells) expect(right).toBeLessThanOrEqual(375);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
    expect(await guests.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
    await guests.close();
    await page.close();
  });

  it('has Clusters, Nodes, Guests, Storage, Tasks, Actions, Alerts and Agent in the menu, each a page', async () => {
    const { page } = await open(`${faulty!.nginx.url}/index.html`);
    const nav = await page.locator('header nav a').evaluateAll((as) => as.map((a) => ({ text: a.textContent, href: (a as HTMLAnchorElement).href })));
    expect(nav.map((n) => n.text)).toEqual(['Overview', 'Clusters', 'Nodes', 'Guests', 'Storage', 'Tasks', 'Backups', 'Actions', 'Alerts', 'Agent']);
    for (const n of nav) expect((await fetch(n.href)).status, n.href).toBe(200);
    await page.goto(`${faulty!.nginx.url}/clusters.html`);
    expect(await page.locator('#clusters tbody tr').count()).toBe(3);
    await expect(page.locator('#clusters tbody tr', { hasText: 'NOT quorate' }).count()).resolves.toBe(1);
    await page.goto(`${faulty!.nginx.url}/nodes.html`);
    expect(await page.locator('#nodes tbody tr').count()).toBe(9);
    await page.goto(`${faulty!.nginx.url}/guests.html`);
    expect(await page.locator('#guests tbody tr').count()).toBe(30);
    await page.close();
  });

  it('finds guests by name, vmid, tag and node from the static index, and says "no match"', async () => {
    const index = (await (await fetch(`${faulty!.nginx.url}/search.json`)).json()) as { items: string[][] };
    const row = index.items.find((x) => x[0] === 'guest' && x[3]!.startsWith('g/cluster1/') && x[2]!.includes('['))!;
    const vmid = /^(\d+) /.exec(row[2]!)![1]!;
    const tag = /\[([^,\]]+)/.exec(row[2]!)![1]!;
    const g = { name: row[1]!, vmid };
    const { page } = await open(`${faulty!.nginx.url}/storage.html`);
    const results = page.locator('#search-results li');
    const search = async (q: string) => {
      await page.fill('#site-search', q);
      await page.waitForFunction((want) => {
        const first = document.querySelector('#search-results li');
        return document.querySelector<HTMLInputElement>('#site-search')!.value === want && first !== null;
      }, q, { timeout: 10_000 });
      return results.allTextContents();
    };
    expect((await search(g.name)).some((t) => t.startsWith(g.name))).toBe(true);
    expect((await search(g.vmid)).some((t) => t.includes(`${g.vmid} on cluster1/`))).toBe(true);
    expect((await search(tag)).every((t) => t.includes(tag))).toBe(true);
    expect((await search('c2-pve3')).some((t) => t.startsWith('c2-pve3 node'))).toBe(true);
    expect(await search('no-such-guest-anywhere')).toEqual(['No match for "no-such-guest-anywhere".']);
    await search(`${g.vmid} cluster1`);
    await page.press('#site-search', 'Enter');
    await page.waitForURL(new RegExp(`/g/cluster1/\\d+xx/${g.vmid}\\.html$`), { timeout: 10_000 });
    await page.close();
  });

  it('keeps sort and filter in the URL, and says "no match" when a filter hides every row', async () => {
    const { page } = await open(`${faulty!.nginx.url}/guests.html`);
    // history.replaceState updates location at once; Playwright's page.url() follows a little later
    const urlParam = (k: string) => page.evaluate((key) => new URL(location.href).searchParams.get(key), k);
    const nameHeader = page.locator('#guests thead th', { hasText: 'Name' });
    await nameHeader.locator('button').click();
    await nameHeader.locator('button').click();
    expect(await urlParam('guests-sort')).toBe('name-desc');
    const firstName = await page.locator('#guests tbody tr td').first().textContent();
    await page.fill('#f-guests', 'zz-nothing');
    expect(await urlParam('guests-q')).toBe('zz-nothing');
    await expect(page.locator('.no-match').textContent()).resolves.toMatch(/^No match for "zz-nothing"/);
    // A reload (or a shared link) shows the same view.
    await page.fill('#f-guests', '');
    await expect(page.locator('.no-match').isVisible()).resolves.toBe(false);
    await page.reload();
    await expect(nameHeader.getAttribute('aria-sort')).resolves.toBe('descending');
    await expect(page.locator('#guests tbody tr td').first().textContent()).resolves.toBe(firstName);
    await page.goto(`${faulty!.nginx.url}/guests.html?guests-q=zz-nothing`);
    await expect(page.locator('#f-guests').inputValue()).resolves.toBe('zz-nothing');
    await expect(page.locator('.no-match').isVisible()).resolves.toBe(true);
    expect(await page.locator('#guests tbody tr:not([hidden])').count()).toBe(0);
    await page.close();
  });

  it('hides the controls that need JavaScript when it is off', async () => {
    const ctx = await browser.newContext({ javaScriptEnabled: false });
    const page = await ctx.newPage();
    await page.goto(`${faulty!.nginx.url}/index.html`);
    for (const sel of ['#theme-toggle', '.table-tools', '#site-search']) {
      const n = await page.locator(sel).count();
      expect(n, sel).toBeGreaterThan(0);
      for (let i = 0; i < n; i++) await expect(page.locator(sel).nth(i).isVisible(), sel).resolves.toBe(false);
    }
    // Column headings stay, without sort arrows.
    const after = await page.locator('#nodes thead th button.sort').first().evaluate((b) => getComputedStyle(b, '::after').content);
    expect(after).toBe('none');
    await expect(page.locator('#nodes thead th').first().isVisible()).resolves.toBe(true);
    // The node values say when they are from (issue 14 item 3), with the page's UTC time.
    await expect(page.getByText(/^Values as of \d{4}-\d\d-\d\d \d\d:\d\d(:\d\d)? UTC; with JavaScript they follow each cycle\.$/).isVisible()).resolves.toBe(true);
    await ctx.close();
    // With JavaScript they are there.
    const { page: js } = await open(`${faulty!.nginx.url}/index.html`);
    await expect(js.locator('#theme-toggle').isVisible()).resolves.toBe(true);
    await expect(js.locator('#site-search').isVisible()).resolves.toBe(true);
    await js.close();
  });

  it('names the time of the last data in the stale banner', async () => {
    const status = (await (await fetch(`${faulty!.nginx.url}/status.json`)).json()) as { generated_at: number };
    const when = new Date(status.generated_at * 1000).toISOString().slice(0, 16).replace('T', ' ') + ' UTC';
    for (const path of ['index.html', 'tasks.html']) {
      const page = await browser.newPage();
      await page.clock.setFixedTime(new Date((status.generated_at + 3600) * 1000));
      await page.goto(`${faulty!.nginx.url}/${path}`);
      await page.waitForSelector('#stale:not([hidden])', { timeout: 10_000 });
      await expect(page.locator('#stale').textContent(), path).resolves.toMatch(new RegExp(`^No new data since ${when} \\(more than \\d+s ago\\): the agent may have stopped\\.$`));
      await page.close();
    }
  });
});
