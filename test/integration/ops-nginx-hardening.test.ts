// Issue 12 §14, in the real nginx with the shipped site config: a symlink that leaves the site is
// not followed (disable_symlinks), while the site's own links (current -> releases/<n>, guest
// buckets -> trees/) still are; the access-control commands of the README's install steps work
// as written (basic auth, allow-list, both); and the demo's static server answers with the same
// security headers and the same refusals as that nginx, compared response by response.
import { spawnSync } from 'node:child_process';
import { existsSync, lchownSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NGINX_SITE_CONF, nginxSecurityHeaders, startStaticServer } from '../../scripts/static-server.ts';
import { freePort, NGINX_BIN, SITE_CONF, startNginx, type NginxHandle } from '../support/nginx.ts';

const IS_ROOT = process.getuid?.() === 0;
const README = readFileSync(resolve(import.meta.dirname, '../../README.md'), 'utf8');
const HTPASSWD = ['/usr/bin/htpasswd', '/usr/sbin/htpasswd'].find((p) => existsSync(p));
/** The service account's part: a uid that owns the site, like pmi-agent (no passwd entry needed). */
const AGENT_UID = 41_012;

/** Gives the tree to uid (links included, not followed), as the agent's own writes would. */
function chownTree(path: string, uid: number): void {
  lchownSync(path, uid, uid);
  if (lstatSync(path).isDirectory()) for (const n of readdirSync(path)) chownTree(join(path, n), uid);
}

let base: string;
let outside: string;
let nginx: NginxHandle;
let demo: Server;
let demoUrl: string;

beforeAll(async () => {
  if (!NGINX_BIN || !IS_ROOT) return;
  base = mkdtempSync(join(tmpdir(), 'ops-nginx-hardening-'));
  // The publisher's layout: releases/<n>, trees/ shared between releases, and `current`.
  const site = join(base, 'site');
  const rel = join(site, 'releases', '1');
  mkdirSync(join(rel, 'g', 'c1'), { recursive: true });
  mkdirSync(join(site, 'trees', 'c1', '1.v1'), { recursive: true });
  writeFileSync(join(rel, 'index.html'), '<!doctype html><title>PMI Dashboard</title><p>overview</p>\n');
  writeFileSync(join(rel, 'status.json'), '{"ok":true}');
  writeFileSync(join(rel, '.state.json'), '{}');
  writeFileSync(join(site, 'trees', 'c1', '1.v1', '101.html'), '<!doctype html><title>guest 101</title>\n');
  symlinkSync('../../../../trees/c1/1.v1', join(rel, 'g', 'c1', '1'));
  symlinkSync(join('releases', '1'), join(site, 'current'));
  // Outside the site: a file of another owner (root) that nginx could read, and links to it.
  outside = join(base, 'outside.txt');
  writeFileSync(outside, 'NOT PART OF THE SITE\n', { mode: 0o644 });
  symlinkSync(outside, join(rel, 'escape.txt'));
  symlinkSync(base, join(rel, 'up'));
  chownTree(site, AGENT_UID);
  nginx = await startNginx(join(site, 'current'));
  const port = await freePort();
  demo = await startStaticServer(join(site, 'current'), port);
  demoUrl = `http://127.0.0.1:${port}`;
});

afterAll(async () => {
  await nginx?.stop();
  await new Promise((res) => (demo ? demo.close(res) : res(undefined)));
  if (base) rmSync(base, { recursive: true, force: true });
});

describe.skipIf(!NGINX_BIN || !IS_ROOT)(`nginx: symlinks out of the site${NGINX_BIN ? '' : ' — SKIPPED: nginx not installed (apt-get install nginx-light)'}${IS_ROOT ? '' : ' — SKIPPED: needs root (chown)'}`, () => {
  it('the config says disable_symlinks if_not_owner at server level', () => {
    expect(readFileSync(NGINX_SITE_CONF, 'utf8')).toMatch(/^ {4}disable_symlinks if_not_owner;$/m);
  });

  it("follows the site's own links (current -> releases/1, a guest bucket -> trees/)", async () => {
    const page = await fetch(`${nginx.url}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('overview');
    const guest = await fetch(`${nginx.url}/g/c1/1/101.html`);
    expect(guest.status).toBe(200);
    expect(await guest.text()).toContain('guest 101');
  });

  it('refuses a link to a file of another owner outside the site, and a link up out of it', async () => {
    for (const path of ['/escape.txt', '/up/outside.txt']) {
      const res = await fetch(`${nginx.url}${path}`);
      // try_files finds no file it may open (the link is refused), so the answer is its =404
      expect(res.status, path).toBe(404);
      expect(await res.text(), path).not.toContain('NOT PART OF THE SITE');
    }
    // the file itself is readable: only the link was refused
    expect(readFileSync(outside, 'utf8')).toContain('NOT PART OF THE SITE');
  });
});

describe.skipIf(!NGINX_BIN || !IS_ROOT)('the demo static server and nginx: same security headers, same refusals', () => {
  const security = nginxSecurityHeaders(readFileSync(NGINX_SITE_CONF, 'utf8'));

  it('reads the security headers from the nginx site (every literal add_header … always)', () => {
    expect(Object.keys(security).sort()).toEqual(['content-security-policy', 'cross-origin-opener-policy', 'permissions-policy', 'referrer-policy', 'x-content-type-options', 'x-frame-options']);
    expect(security['content-security-policy']).toContain("default-src 'self'");
  });

  it.each([
    ['GET', '/'],
    ['GET', '/status.json'],
    ['GET', '/g/c1/1/101.html'],
    ['GET', '/missing.html'],
    ['GET', '/.state.json'],
    ['GET', '/escape.txt'],
    ['GET', '/up/outside.txt'],
    ['HEAD', '/'],
    ['POST', '/'],
  ])('%s %s: same status and security headers from both', async (method, path) => {
    const [n, d] = await Promise.all([fetch(`${nginx.url}${path}`, { method }), fetch(`${demoUrl}${path}`, { method })]);
    expect(d.status, `status of ${method} ${path}`).toBe(n.status);
    for (const [name, value] of Object.entries(security)) {
      expect(n.headers.get(name), `nginx ${name}`).toBe(value);
      expect(d.headers.get(name), `demo ${name}`).toBe(value);
    }
    await Promise.all([n.arrayBuffer(), d.arrayBuffer()]);
  });
});

describe.skipIf(!NGINX_BIN || !HTPASSWD)(`access control as the README's install steps write it${HTPASSWD ? '' : ' — SKIPPED: htpasswd missing (apt-get install apache2-utils; scripts/test.sh does)'}`, () => {
  // The README's lines that write /etc/nginx/pmi-dashboard.d/access.conf: basic auth, allow-list, both.
  const lines = [...README.matchAll(/^printf '([^']*)' \| sudo tee \/etc\/nginx\/pmi-dashboard\.d\/access\.conf$/gm)].map((m) => m[1]!);
  let dir: string;
  let passwd: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'ops-nginx-access-'));
    mkdirSync(join(dir, 'site'));
    writeFileSync(join(dir, 'site', 'index.html'), '<!doctype html><title>PMI Dashboard</title>\n');
    mkdirSync(join(dir, 'pmi-dashboard.d'));
    passwd = join(dir, 'pmi-dashboard.htpasswd');
    // the README's command, with the password given on the command line (-b) instead of asked for
    const h = spawnSync(HTPASSWD!, ['-B', '-c', '-b', passwd, 'pmi12alice', 'correct horse'], { encoding: 'utf8' });
    expect(h.status, h.stderr).toBe(0);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** nginx with the shipped site, its include pointed at this test's directory, access.conf = printf's output. */
  async function nginxWith(printfFormat: string, opts: { loopbackListed: boolean }): Promise<NginxHandle> {
    const out = spawnSync('sh', ['-c', 'printf "$1"', 'sh', printfFormat], { encoding: 'utf8' });
    let conf = out.stdout.replaceAll('/etc/nginx/pmi-dashboard.htpasswd', passwd);
    // "a host not in the list": drop the loopback lines the README's example lists
    if (!opts.loopbackListed) conf = conf.replace('allow 127.0.0.1;\n', '').replace('allow ::1;\n', '');
    writeFileSync(join(dir, 'pmi-dashboard.d', 'access.conf'), conf);
    const site = readFileSync(SITE_CONF, 'utf8');
    expect(site).toContain('    include /etc/nginx/pmi-dashboard.d/*.conf;');
    return startNginx(join(dir, 'site'), { siteConf: site.replace('include /etc/nginx/pmi-dashboard.d/*.conf;', `include ${dir}/pmi-dashboard.d/*.conf;`) });
  }

  const get = async (n: NginxHandle, auth?: string) => (await fetch(`${n.url}/`, auth ? { headers: { authorization: `Basic ${Buffer.from(auth).toString('base64')}` } } : {})).status;

  it('the README has the three variants', () => {
    expect(lines).toHaveLength(3);
    expect(lines[0]).toContain('auth_basic_user_file /etc/nginx/pmi-dashboard.htpasswd;');
    expect(lines[1]).toContain('deny all;');
    expect(lines[2]).toContain('satisfy any;');
  });

  it('basic auth: 401 without or with a wrong password, 200 with the right one', async () => {
    const n = await nginxWith(lines[0]!, { loopbackListed: true });
    try {
      expect(await get(n)).toBe(401);
      expect(await get(n, 'pmi12alice:wrong')).toBe(401);
      expect(await get(n, 'pmi12alice:correct horse')).toBe(200);
    } finally {
      await n.stop();
    }
  });

  it('allow-list: a listed address gets in, any other gets 403', async () => {
    for (const [listed, status] of [[true, 200], [false, 403]] as const) {
      const n = await nginxWith(lines[1]!, { loopbackListed: listed });
      try {
        expect(await get(n), `loopback listed: ${listed}`).toBe(status);
      } finally {
        await n.stop();
      }
    }
  });

  it('both: listed networks need no password, everybody else needs one', async () => {
    const listed = await nginxWith(lines[2]!, { loopbackListed: true });
    try {
      expect(await get(listed)).toBe(200);
    } finally {
      await listed.stop();
    }
    const other = await nginxWith(lines[2]!, { loopbackListed: false });
    try {
      expect(await get(other)).toBe(401);
      expect(await get(other, 'pmi12alice:correct horse')).toBe(200);
    } finally {
      await other.stop();
    }
  });
});
