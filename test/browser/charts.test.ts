// Charts tell the truth (issue 14 items 2–4, issue 16 alert markers), in Chromium behind the shipped
// nginx config: a database with 30 days of history plus what each check needs (a 20-minute hole in
// one guest's samples, an alert that fired and resolved for it, a task on a node, a stopped guest),
// one build, and the browser's clock set to the build's. What ApexCharts was given is read from the
// chart instances the page creates (kept by an init script) and from the chart boxes' data-* attributes.
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Writable } from 'node:stream';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../agent/log/logger.ts';
import { createSiteBuilder } from '../../agent/site/site-builder.ts';
import { makeSynthetic, type Synthetic } from '../../scripts/bench/site.bench.ts';
import { launchChromium } from '../support/browser.ts';
import { NGINX_BIN, startNginx, type NginxHandle } from '../support/nginx.ts';

const RANGES = [
  { id: '1h', seconds: 3600 },
  { id: '24h', seconds: 86_400 },
  { id: '7d', seconds: 7 * 86_400 },
  { id: '30d', seconds: 30 * 86_400 },
  { id: '1y', seconds: 365 * 86_400 },
] as const;
const MiB = 2 ** 20;
const ARTIFACTS = resolve(import.meta.dirname, '../../test-artifacts');
const PANEL = { light: '#f4f5f7', dark: '#1c1f24' };

let syn: Synthetic;
let nginx: NginxHandle;
let browser: Browser;
let nowSec: number;
let running: Synthetic['clusters'][number]['guests'][number];
let stopped: Synthetic['clusters'][number]['guests'][number];
let template: Synthetic['clusters'][number]['guests'][number];

beforeAll(async () => {
  if (!NGINX_BIN) return;
  mkdirSync(ARTIFACTS, { recursive: true });
  nowSec = Math.floor(Date.now() / 60_000) * 60;
  syn = await makeSynthetic(30, { now: nowSec, historyDays: 30 });
  const sq = syn.store.sqlite;
  running = syn.clusters[0]!.guests.find((g) => g.running)!;
  stopped = syn.clusters[0]!.guests.find((g) => !g.running)!;
  template = syn.clusters[0]!.guests.filter((g) => !g.running)[1]!;
  sq.prepare('UPDATE guests SET template = 1 WHERE cluster_id = 1 AND vmid = ?').run(template.vmid);
  // A 20-minute hole in the running guest's raw samples (the poller was down).
  sq.prepare('DELETE FROM guest_samples WHERE cluster_id = 1 AND vmid = ? AND ts > ? AND ts < ?').run(running.vmid, nowSec - 40 * 60, nowSec - 20 * 60);
  // An alert of that guest: fired 30 minutes ago, resolved 10 minutes ago.
  const labels = JSON.stringify({ cluster: 'bench1', node: running.node, vmid: String(running.vmid) });
  const tr = sq.prepare('INSERT INTO alert_transitions (ts, rule, fingerprint, labels, from_state, to_state, severity, summary) VALUES (?,?,?,?,?,?,?,?)');
  tr.run(nowSec - 32 * 60, 'guest-cpu-high', labels, labels, 'inactive', 'pending', 'warning', 'cpu high');
  tr.run(nowSec - 30 * 60, 'guest-cpu-high', labels, labels, 'pending', 'firing', 'warning', 'cpu high');
  tr.run(nowSec - 10 * 60, 'guest-cpu-high', labels, labels, 'firing', 'resolved', 'warning', 'cpu high');
  // A task on node1 20 minutes ago (node charts carry task markers).
  sq.prepare('INSERT INTO tasks (upid, cluster_id, node, type, object_id, vmid, user, starttime, endtime, status, ok) VALUES (?,?,?,?,?,?,?,?,?,?,?)')
    .run('UPID:node1:00001234:00000000:00000000:vzdump::root@pam:', 1, 'node1', 'vzdump', null, null, 'root@pam', nowSec - 1200, nowSec - 1100, 'OK', 1);
  const outDir = join(syn.dir, 'site');
  const builder = createSiteBuilder({
    db: syn.store.db, log: createLogger({ level: 'info', destination: new Writable({ write: (_c, _e, cb) => cb() }) }),
    now: () => nowSec * 1000, outDir,
    config: { pollIntervalSeconds: 60, site: { title: 'PMI Dashboard', staleAfterIntervals: 3 } },
  });
  await builder.build();
  nginx = await startNginx(join(outDir, 'current'));
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await nginx?.stop();
  await syn?.dispose();
});

type Pt = [number, number | null];
interface ApexLike { w: { config: { series: Array<{ name: string; data: Pt[] }>; colors: string[]; annotations: { yaxis: Array<{ y: number }>; xaxis: Array<{ x: number; x2?: number }> } }; globals: { minX: number; maxX: number } } }

const guestPath = (vmid: number) => `g/bench1/${Math.floor(vmid / 100)}xx/${vmid}.html`;

/** A page with a fixed clock whose chart instances stay reachable by their element's id. */
async function chartPage(path: string, colorScheme: 'light' | 'dark' = 'light'): Promise<{ page: Page; problems: string[] }> {
  const ctx = await browser.newContext({ colorScheme });
  const page = await ctx.newPage();
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`);
  });
  page.on('response', (r) => {
    if (r.status() >= 400) problems.push(`${r.status()} ${r.url()}`);
  });
  await page.clock.setFixedTime(nowSec * 1000);
  await page.addInitScript(() => {
    type Ctor = new (el: HTMLElement, o: unknown) => object;
    let apex: Ctor | undefined;
    const w = window as unknown as { __charts: Record<string, object> };
    w.__charts = {};
    Object.defineProperty(window, 'ApexCharts', {
      configurable: true,
      get: () => apex,
      set: (v: Ctor) => {
        apex = class extends v {
          constructor(el: HTMLElement, o: unknown) {
            super(el, o);
            w.__charts[el.id] = this;
          }
        };
      },
    });
  });
  await page.goto(`${nginx.url}/${path}`);
  return { page, problems };
}

async function chart(page: Page, id: string) {
  return page.evaluate((boxId) => {
    const c = (window as unknown as { __charts: Record<string, ApexLike> }).__charts[boxId]!;
    return { series: c.w.config.series, colors: c.w.config.colors, minX: c.w.globals.minX, maxX: c.w.globals.maxX, yAnn: c.w.config.annotations.yaxis, xAnn: c.w.config.annotations.xaxis };
  }, id);
}

function contrast(a: string, b: string): number {
  const lum = (h: string) => {
    const c = [1, 3, 5].map((i) => parseInt(h.slice(i, i + 2), 16) / 255).map((v) => (v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4));
    return 0.2126 * c[0]! + 0.7152 * c[1]! + 0.0722 * c[2]!;
  };
  const [x, y] = [lum(a), lum(b)];
  return (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05);
}

describe.skipIf(!NGINX_BIN)(`charts in Chromium${NGINX_BIN ? '' : ' — SKIPPED: nginx not installed'}`, () => {
  it('spans exactly the chosen range on the x-axis, names UTC, and keeps round byte ticks', async () => {
    const { page, problems } = await chartPage(guestPath(running.vmid));
    await page.waitForSelector('#chart-cpu svg.apexcharts-svg', { timeout: 20_000 });
    await expect(page.locator('#chart-tz').textContent()).resolves.toMatch(/UTC/);
    for (const r of RANGES) {
      await page.click(`button.range[data-range="${r.id}"]`);
      await page.waitForFunction((id) => document.getElementById('chart-cpu')?.getAttribute('data-range') === id, r.id, { timeout: 20_000 });
      const c = await chart(page, 'chart-cpu');
      expect([c.minX, c.maxX], r.id).toEqual([(nowSec - r.seconds) * 1000, nowSec * 1000]);
      // Memory: 0 … a power-of-two multiple of a power-of-two step (1/2/4/8 GiB …), the limit included.
      const yMax = Number(await page.locator('#chart-mem').getAttribute('data-y-max'));
      expect(yMax * MiB, `${r.id} memory axis top`).toBeGreaterThanOrEqual(running.maxmem);
      const step = Number(await page.locator('#chart-mem').getAttribute('data-y-step'));
      expect(Number.isInteger(Math.log2(step)), `${r.id} memory tick step ${step} MiB is a power of two`).toBe(true);
      expect(Number.isInteger(yMax / step), `${r.id} memory axis top ${yMax} MiB is a multiple of its step`).toBe(true);
    }
    // A tooltip at the right edge stays inside the chart (it was clipped by the page's edge).
    await page.locator('#chart-net').scrollIntoViewIfNeeded();
    const box = (await page.locator('#chart-net').boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.move(box.x + box.width - 15, box.y + box.height / 2, { steps: 5 });
    await page.waitForSelector('#chart-net .apexcharts-tooltip.apexcharts-active', { timeout: 10_000 });
    const tip = (await page.locator('#chart-net .apexcharts-tooltip').boundingBox())!;
    await page.screenshot({ path: join(ARTIFACTS, 'charts-tooltip-right-edge.png') });
    expect(tip.x, 'tooltip left edge').toBeGreaterThanOrEqual(box.x);
    expect(tip.x + tip.width, 'tooltip right edge').toBeLessThanOrEqual(box.x + box.width);
    await expect(page.locator('#chart-net .apexcharts-tooltip-title').textContent()).resolves.toMatch(/UTC$/);
    expect(problems).toEqual([]);
    await page.context().close();
  });

  it('draws a hole in the samples as a gap (null), not a line', async () => {
    const { page, problems } = await chartPage(guestPath(running.vmid));
    await page.waitForSelector('#chart-cpu svg.apexcharts-svg', { timeout: 20_000 });
    const { series } = await chart(page, 'chart-cpu');
    const data = series[0]!.data;
    const nulls = data.filter((p) => p[1] === null);
    expect(nulls.length, 'one null point breaks the line').toBe(1);
    const at = nulls[0]![0];
    expect(at).toBeGreaterThan((nowSec - 40 * 60) * 1000);
    expect(at).toBeLessThan((nowSec - 20 * 60) * 1000);
    // The drawn path is two pieces (two "M" moves), not one line across the hole.
    const d = (await page.locator('#chart-cpu .apexcharts-series path.apexcharts-line').first().getAttribute('d')) ?? '';
    expect(d.match(/M/g)?.length ?? 0).toBeGreaterThanOrEqual(2);
    expect(problems).toEqual([]);
    await page.context().close();
  });

  it('gives multi-line charts a legend and the same colours in both themes, with 3:1 contrast on each', async () => {
    const seen: Record<string, Record<string, string[]>> = {};
    for (const scheme of ['light', 'dark'] as const) {
      for (const path of [guestPath(running.vmid), 'nodes/bench1/node1.html']) {
        const { page, problems } = await chartPage(path, scheme);
        await page.waitForSelector('#chart-net svg.apexcharts-svg', { timeout: 20_000 });
        const ids = path.startsWith('g/') ? ['chart-net', 'chart-io'] : ['chart-cpu', 'chart-mem'];
        for (const id of ids) {
          await expect(page.locator(`#${id} .apexcharts-legend-series`).count(), `${path} ${id} legend`).resolves.toBe(2);
          const c = await chart(page, id);
          (seen[`${path} ${id}`] ??= {})[scheme] = c.colors;
          for (const col of c.colors) expect(contrast(col, PANEL[scheme]), `${col} on ${scheme}`).toBeGreaterThanOrEqual(3);
        }
        // Single-line charts need no legend.
        if (path.startsWith('g/')) await expect(page.locator('#chart-cpu .apexcharts-legend-series').count()).resolves.toBe(0);
        await page.locator('section.charts').screenshot({ path: join(ARTIFACTS, `charts-${path.startsWith('g/') ? 'guest' : 'node'}-${scheme}.png`) });
        expect(problems, path).toEqual([]);
        await page.context().close();
      }
    }
    for (const [k, v] of Object.entries(seen)) expect(v.dark, k).toEqual(v.light);
  });

  it('draws the memory limit as a line, scales CPU to the data, and keeps the current values equal to the last points', async () => {
    const { page, problems } = await chartPage(guestPath(running.vmid));
    await page.waitForSelector('#chart-mem svg.apexcharts-svg', { timeout: 20_000 });
    const mem = await chart(page, 'chart-mem');
    expect(mem.yAnn.map((a) => a.y)).toContain(running.maxmem / MiB);
    expect(await page.locator('#chart-mem .apexcharts-yaxis-annotations line').count()).toBeGreaterThanOrEqual(1);
    // The synthetic guests stay well under 100 %: the axis ends where the data does, not at 100.
    expect(Number(await page.locator('#chart-cpu').getAttribute('data-y-max'))).toBeLessThan(100);
    const last = (s: Pt[]) => [...s].reverse().find((p) => p[1] !== null)![1];
    const cpu = await chart(page, 'chart-cpu');
    await page.waitForFunction(() => document.querySelector('#current td[data-live="cpu"]')?.hasAttribute('data-v'), undefined, { timeout: 20_000 });
    expect(Number(await page.locator('#current td[data-live="cpu"]').getAttribute('data-v'))).toBe(last(cpu.series[0]!.data));
    const net = await chart(page, 'chart-net');
    expect(await page.locator('#current td[data-live="ni,no"]').getAttribute('data-v')).toBe(`${last(net.series[0]!.data)},${last(net.series[1]!.data)}`);
    expect(problems).toEqual([]);
    await page.context().close();
  });

  it('marks the guest\'s fired alert and the node\'s task on their charts', async () => {
    const { page, problems } = await chartPage(guestPath(running.vmid));
    await page.waitForSelector('#chart-cpu svg.apexcharts-svg', { timeout: 20_000 });
    const cpu = await chart(page, 'chart-cpu');
    expect(cpu.xAnn.filter((a) => a.x2 != null).map((a) => [a.x, a.x2])).toEqual([[(nowSec - 30 * 60) * 1000, (nowSec - 10 * 60) * 1000]]);
    expect(await page.locator('#chart-cpu .apexcharts-xaxis-annotations rect').count()).toBeGreaterThanOrEqual(1);
    await expect(page.locator('[data-alt="cpu"]').textContent()).resolves.toContain('guest-cpu-high');
    await page.context().close();

    const node = await chartPage('nodes/bench1/node1.html');
    await node.page.waitForSelector('#chart-cpu svg.apexcharts-svg', { timeout: 20_000 });
    const ncpu = await chart(node.page, 'chart-cpu');
    expect(ncpu.xAnn.map((a) => a.x)).toContain((nowSec - 1200) * 1000);
    expect(problems.concat(node.problems)).toEqual([]);
    await node.page.context().close();
  });

  it('keeps the values of a page on each cycle\'s status.json: node rows, a guest\'s heading and uptime', async () => {
    const ctx = await browser.newContext();
    const page = await ctx.newPage();
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(e.message));
    // The next cycle's status.json: node1 busier, the running guest paused with a new uptime.
    await page.route('**/status.json', async (route) => {
      const res = await route.fetch();
      const doc = (await res.json()) as { nodes: Array<{ node: string; cpu: number; uptime: number }>; guest_fields: string[]; guests: unknown[][] };
      for (const n of doc.nodes) if (n.node === 'node1') Object.assign(n, { cpu: 0.777, uptime: 3 * 86_400 + 7200 });
      const f = (k: string) => doc.guest_fields.indexOf(k);
      for (const g of doc.guests) if (g[f('vmid')] === running.vmid) { g[f('status')] = 'paused'; g[f('uptime')] = 90_061; }
      await route.fulfill({ response: res, json: doc });
    });
    await page.clock.install({ time: nowSec * 1000 });
    await page.goto(`${nginx.url}/index.html`);
    const row = page.locator('#nodes tbody tr', { has: page.locator('a', { hasText: /^node1$/ }) });
    // the CPU column by its header (a one-cluster fleet has no Cluster column)
    const cpuCol = await page.locator('#nodes thead th').evaluateAll((ths) => ths.findIndex((th) => th.textContent!.trim() === 'CPU'));
    expect(cpuCol).toBeGreaterThan(0);
    const cpuCell = row.locator('td').nth(cpuCol);
    await expect(cpuCell.textContent()).resolves.not.toBe('78 %');
    await page.clock.fastForward(61_000); // the overview refreshes every poll interval
    await page.waitForFunction(() => Array.from(document.querySelectorAll('#nodes tbody tr')).some((tr) => tr.textContent!.includes('78 %')), undefined, { timeout: 10_000 });
    await expect(cpuCell.textContent()).resolves.toBe('78 %');
    await expect(cpuCell.locator('meter.u').evaluate((m) => (m as HTMLMeterElement).value)).resolves.toBe(78); // the usage bar follows too
    // A guest page reads status.json at once (it is rebuilt only every ~10 minutes).
    await page.goto(`${nginx.url}/${guestPath(running.vmid)}`);
    await page.waitForFunction(() => document.querySelector('h1 [data-live-status]')?.textContent === 'paused', undefined, { timeout: 10_000 });
    await expect(page.locator('#current td[data-live-uptime]').textContent()).resolves.toBe('1d 1h');
    expect(problems).toEqual([]);
    await ctx.close();
  });

  it('says why instead of drawing empty boxes: a stopped guest gets one line, a template no charts', async () => {
    const { page, problems } = await chartPage(guestPath(stopped.vmid));
    await page.waitForSelector('#charts-empty', { timeout: 20_000 });
    await expect(page.locator('#charts-empty').textContent()).resolves.toMatch(/^No data in the last 1h: stopped since \d{4}-\d\d-\d\d \d\d:\d\d UTC\.$/);
    expect(await page.locator('#charts figure.chart:not([hidden])').count()).toBe(0);
    expect(await page.locator('#charts svg.apexcharts-svg').count()).toBe(0);
    expect(problems).toEqual([]);
    await page.context().close();
    // A template never runs: one line, no figures at all.
    const t = await chartPage(guestPath(template.vmid));
    await t.page.waitForSelector('#charts-empty', { timeout: 20_000 });
    await expect(t.page.locator('#charts-empty').textContent()).resolves.toBe('A template does not run: there is nothing to chart.');
    expect(await t.page.locator('#charts figure').count()).toBe(0);
    expect(t.problems).toEqual([]);
    await t.page.context().close();
  });
});
