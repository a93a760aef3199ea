// Real nginx with the shipped site config (systemd/nginx-pmi-dashboard.conf): security headers,
// cache headers, compression, dotfiles and directory listings; then Chromium loads a page with
// an ApexCharts chart (legend, tooltip) and the CSP must report no violation.
import { spawnSync } from 'node:child_process';
import { request } from 'node:http';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NGINX_BIN, prepareNginx, startNginx, type NginxHandle } from '../support/nginx.ts';
import { launchChromium } from '../support/browser.ts';

const REPO = resolve(import.meta.dirname, '../..');
const APEX = join(REPO, 'node_modules/apexcharts/dist');

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Fixture · PMI Dashboard</title>
<link rel="stylesheet" href="assets/site-0123abcd.css">
<link rel="stylesheet" id="apexcharts-css" href="assets/apexcharts-89abcdef.css">
<script src="assets/apexcharts-89abcdef.js" defer></script>
<script src="assets/app-0123abcd.js" defer></script>
</head>
<body>
<main><h1>Node pve1</h1><div class="chart-box" id="chart-cpu"></div></main>
<script type="application/json" id="page-data">{"series":[{"name":"cpu","data":[[1764200000000,0.1],[1764200060000,0.3],[1764200120000,0.2]]},{"name":"iowait","data":[[1764200000000,0.05],[1764200060000,0.02],[1764200120000,0.04]]}]}</script>
</body>
</html>
`;

// Like the site's own script: no inline code, data from the JSON block, a chart with a legend and tooltip.
const APP_JS = `document.addEventListener('DOMContentLoaded', function () {
  var data = JSON.parse(document.getElementById('page-data').textContent);
  var chart = new ApexCharts(document.getElementById('chart-cpu'), {
    chart: { type: 'area', height: 240, animations: { enabled: false }, toolbar: { show: true }, zoom: { enabled: true } },
    series: data.series,
    xaxis: { type: 'datetime' },
    yaxis: { labels: { formatter: function (v) { return Math.round(v * 100) + '%'; } } },
    legend: { show: true, position: 'top' },
    tooltip: { shared: true, x: { format: 'HH:mm' } },
  });
  chart.render().then(function () { document.body.dataset.rendered = '1'; });
});
`;

/** GET without decompression (fetch always decompresses): status, headers and the raw body bytes. */
function rawGet(url: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  return new Promise((res, rej) => {
    request(url, { headers }, (r) => {
      const chunks: Buffer[] = [];
      r.on('data', (c: Buffer) => chunks.push(c));
      r.on('end', () => res({ status: r.statusCode ?? 0, headers: r.headers, body: Buffer.concat(chunks) }));
    }).on('error', rej).end();
  });
}

let base: string;
let root: string;
let nginx: NginxHandle;
const bigJson = JSON.stringify({ guests: Array.from({ length: 200 }, (_, i) => ({ vmid: 100 + i, name: `vm-${i}`, status: 'running' })) });

beforeAll(async () => {
  if (!NGINX_BIN) return;
  base = mkdtempSync(join(tmpdir(), 'ops-nginx-'));
  // The publisher's layout: releases/<n> and an atomically swapped `current` symlink.
  root = join(base, 'releases', '1');
  mkdirSync(join(root, 'assets'), { recursive: true });
  writeFileSync(join(root, 'index.html'), PAGE);
  writeFileSync(join(root, 'status.json'), JSON.stringify({ ok: true, generated: 1764200000 }));
  writeFileSync(join(root, 'big.json'), bigJson);
  writeFileSync(join(root, 'pre.json'), '{"plain":true}');
  writeFileSync(join(root, 'pre.json.gz'), gzipSync('{"precompressed":true}'));
  writeFileSync(join(root, '.secret'), 'nope');
  writeFileSync(join(root, 'assets', 'site-0123abcd.css'), 'body { font-family: sans-serif; }\n'.repeat(40));
  writeFileSync(join(root, 'assets', 'app-0123abcd.js'), APP_JS);
  copyFileSync(join(APEX, 'apexcharts.min.js'), join(root, 'assets', 'apexcharts-89abcdef.js'));
  copyFileSync(join(APEX, 'apexcharts.css'), join(root, 'assets', 'apexcharts-89abcdef.css'));
  copyFileSync(join(APEX, 'apexcharts.min.js'), join(root, 'assets', 'apexcharts.50897a9bbd86.min.js'));
  writeFileSync(join(root, 'assets', 'plain.js'), '// no fingerprint\n');
  symlinkSync(join('releases', '1'), join(base, 'current'));
  nginx = await startNginx(join(base, 'current'));
});

afterAll(async () => {
  await nginx?.stop();
  if (base) rmSync(base, { recursive: true, force: true });
});

describe.skipIf(!NGINX_BIN)(`nginx with systemd/nginx-pmi-dashboard.conf${NGINX_BIN ? '' : ' — SKIPPED: nginx not installed (apt-get install nginx-light)'}`, () => {
  it('passes nginx -t', () => {
    const { prefix, test } = prepareNginx(root, 1);
    rmSync(prefix, { recursive: true, force: true });
    expect(test.output).toContain('test is successful');
    expect(test.status).toBe(0);
  });

  it.skipIf(!existsSync('/etc/nginx/nginx.conf'))('passes nginx -t as shipped, inside Debian\'s stock nginx.conf (sites-enabled include)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ops-nginx-stock-'));
    try {
      mkdirSync(join(dir, 'sites'));
      copyFileSync(join(REPO, 'systemd/nginx-pmi-dashboard.conf'), join(dir, 'sites', 'pmi-dashboard'));
      const stock = readFileSync('/etc/nginx/nginx.conf', 'utf8')
        .replace(/include \/etc\/nginx\/sites-enabled\/\*;/, `include ${dir}/sites/*;`)
        .replace(/include \/etc\/nginx\/conf\.d\/\*\.conf;/, '')
        .replace(/^pid .*$/m, `pid ${dir}/nginx.pid;`);
      expect(stock).toContain(`include ${dir}/sites/*;`);
      writeFileSync(join(dir, 'nginx.conf'), stock);
      const t = spawnSync(NGINX_BIN!, ['-t', '-c', join(dir, 'nginx.conf'), '-e', join(dir, 'error.log')], { encoding: 'utf8' });
      expect(`${t.stdout}${t.stderr}`).toContain('test is successful');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('sends the security headers on a page, without a version in Server', async () => {
    const res = await fetch(`${nginx.url}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    const csp = res.headers.get('content-security-policy') ?? '';
    for (const d of ["default-src 'self'", "script-src 'self'", "object-src 'none'", "base-uri 'none'", "form-action 'none'", "frame-ancestors 'none'"]) expect(csp).toContain(d);
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).not.toContain('unsafe-eval');
    expect(res.headers.get('cache-control')).toBe('no-cache');
    expect(res.headers.get('server')).toBe('nginx');
    expect(res.headers.get('strict-transport-security')).toBeNull(); // HSTS belongs to the TLS block only
  });

  it('serves JSON as application/json, revalidated, gzip-compressed on request', async () => {
    const small = await fetch(`${nginx.url}/status.json`);
    expect(small.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(small.headers.get('cache-control')).toBe('no-cache');
    expect(small.headers.get('x-content-type-options')).toBe('nosniff');
    const big = await rawGet(`${nginx.url}/big.json`, { 'accept-encoding': 'gzip' });
    expect(big.headers['content-encoding']).toBe('gzip');
    expect(big.headers.vary).toBe('Accept-Encoding');
    expect(big.body.length).toBeLessThan(bigJson.length / 4);
    expect(gunzipSync(big.body).toString()).toBe(bigJson);
    const plain = await rawGet(`${nginx.url}/big.json`);
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.body.toString()).toBe(bigJson);
  });

  it('prefers a precompressed .gz next to the file (gzip_static)', async () => {
    const res = await rawGet(`${nginx.url}/pre.json`, { 'accept-encoding': 'gzip' });
    expect(res.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(res.body).toString()).toBe('{"precompressed":true}');
  });

  it('caches fingerprinted assets for a year, immutable, with the security headers still on', async () => {
    for (const asset of ['assets/app-0123abcd.js', 'assets/site-0123abcd.css', 'assets/apexcharts.50897a9bbd86.min.js']) {
      const res = await fetch(`${nginx.url}/${asset}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    }
    expect((await fetch(`${nginx.url}/assets/app-0123abcd.js`)).headers.get('content-type')).toBe('application/javascript; charset=utf-8');
    // Not fingerprinted: revalidate like everything else.
    expect((await fetch(`${nginx.url}/assets/plain.js`)).headers.get('cache-control')).toBe('no-cache');
  });

  it('hides dotfiles, lists no directories and accepts only GET/HEAD', async () => {
    const dot = await fetch(`${nginx.url}/.secret`);
    expect(dot.status).toBe(404);
    expect(dot.headers.get('x-frame-options')).toBe('DENY');
    const dir = await fetch(`${nginx.url}/assets/`);
    expect(dir.status).toBe(403);
    expect(await dir.text()).not.toContain('Index of');
    expect((await fetch(`${nginx.url}/index.html`, { method: 'POST', body: 'x' })).status).toBe(403);
    expect((await fetch(`${nginx.url}/`, { method: 'HEAD' })).status).toBe(200);
  });

  describe('in Chromium', () => {
    let browser: Browser;
    beforeAll(async () => {
      browser = await launchChromium();
    });
    afterAll(async () => {
      await browser?.close();
    });

    it('renders the ApexCharts page with no CSP violation (legend, tooltip, zoom)', async () => {
      const page = await browser.newPage();
      const messages: string[] = [];
      page.on('console', (m) => messages.push(m.text()));
      page.on('pageerror', (e) => messages.push(`pageerror: ${e.message}`));
      await page.addInitScript(() => {
        const w = window as unknown as { __csp: string[] };
        w.__csp = [];
        document.addEventListener('securitypolicyviolation', (e) => w.__csp.push(`${e.violatedDirective} ${e.blockedURI} ${e.sample}`));
      });
      await page.goto(`${nginx.url}/`);
      await page.waitForSelector('body[data-rendered="1"]', { timeout: 15_000 });
      await page.waitForSelector('#chart-cpu .apexcharts-legend-series');
      const box = (await page.locator('#chart-cpu svg.apexcharts-svg').boundingBox())!;
      await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
      await page.waitForSelector('.apexcharts-tooltip.apexcharts-active', { timeout: 5_000 });
      await page.locator('.apexcharts-legend-series').first().click();
      await page.waitForTimeout(200);
      const violations = await page.evaluate(() => (window as unknown as { __csp: string[] }).__csp);
      expect(violations).toEqual([]);
      expect(messages.filter((m) => /Content Security Policy|pageerror/i.test(m))).toEqual([]);
      // The legend stylesheet the hash allows was really inserted and applied.
      expect(await page.locator('#chart-cpu style').count()).toBeGreaterThan(0);
      await page.close();
    });

    it('would report a violation if the page used inline script (the check is not blind)', async () => {
      const page = await browser.newPage();
      const messages: string[] = [];
      page.on('console', (m) => messages.push(m.text()));
      writeFileSync(join(root, 'inline.html'), '<!doctype html><title>x</title><script>document.title = "ran"</script>');
      await page.goto(`${nginx.url}/inline.html`);
      await page.waitForTimeout(200);
      expect(await page.title()).toBe('x');
      expect(messages.join('\n')).toMatch(/Content Security Policy/);
      await page.close();
    });
  });
});

// Keep the shipped file honest: the header lines the README documents are in it.
describe('systemd/nginx-pmi-dashboard.conf text', () => {
  const conf = readFileSync(join(REPO, 'systemd/nginx-pmi-dashboard.conf'), 'utf8');
  it('documents TLS with HSTS as a commented option and includes the access-control folder install.sh never overwrites', () => {
    expect(conf).toMatch(/#\s+add_header Strict-Transport-Security "max-age=63072000" always;/);
    expect(conf).toMatch(/^\s*include \/etc\/nginx\/pmi-dashboard\.d\/\*\.conf;/m);
    expect(conf).toMatch(/#\s+auth_basic "PMI Dashboard";/);
    expect(conf).toMatch(/#\s+auth_basic_user_file /);
    expect(conf).toMatch(/#\s+allow 192\.0\.2\.0\/24;\s+deny all;/);
  });
});
