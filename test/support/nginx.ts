// Runs the real nginx with systemd/nginx-pmi-dashboard.conf for a temporary site root on a
// loopback port: the site config is used as shipped, only `listen` and `root` are rewritten.
// Shared by the OPS nginx test and the SITE browser tests.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const NGINX_BIN = ['/usr/sbin/nginx', '/usr/bin/nginx'].find((p) => existsSync(p));
export const SITE_CONF = resolve(import.meta.dirname, '../../systemd/nginx-pmi-dashboard.conf');

export interface NginxHandle {
  /** e.g. http://127.0.0.1:41234 */
  url: string;
  port: number;
  /** nginx's -p prefix (config, logs, pid, temp paths). */
  prefix: string;
  errorLog(): string;
  stop(): Promise<void>;
}

/** The shipped site config with `listen` on 127.0.0.1:port and `root` at the given directory. */
export function renderSiteConf(conf: string, opts: { root: string; port: number }): string {
  let out = conf.replace(/^(\s*)root \/var\/www\/pmi-dashboard\/current;/m, `$1root ${opts.root};`);
  out = out.replace(/^(\s*)listen 80;\n\s*listen \[::\]:80;/m, `$1listen 127.0.0.1:${opts.port};`);
  if (!out.includes(`root ${opts.root};`) || !out.includes(`listen 127.0.0.1:${opts.port};`)) {
    throw new Error('nginx-pmi-dashboard.conf changed shape: cannot rewrite its root/listen lines');
  }
  return out;
}

/** A minimal nginx.conf around the site: everything (pid, logs, temp files) inside prefix. */
export function renderMainConf(prefix: string): string {
  const asRoot = process.getuid?.() === 0;
  return `${asRoot ? 'user root root;\n' : ''}worker_processes 1;
pid ${prefix}/nginx.pid;
error_log ${prefix}/error.log warn;
events { worker_connections 64; }
http {
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log ${prefix}/access.log;
    client_body_temp_path ${prefix}/tmp/body;
    proxy_temp_path ${prefix}/tmp/proxy;
    fastcgi_temp_path ${prefix}/tmp/fastcgi;
    uwsgi_temp_path ${prefix}/tmp/uwsgi;
    scgi_temp_path ${prefix}/tmp/scgi;
    sendfile on;
    include ${prefix}/site.conf;
}
`;
}

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.once('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? res(addr.port) : rej(new Error('no port'))));
    });
  });
}

/** Writes the configs into a new prefix and runs `nginx -t`; returns the prefix and paths. */
export function prepareNginx(root: string, port: number, siteConf = readFileSync(SITE_CONF, 'utf8')): { prefix: string; conf: string; test: { status: number | null; output: string } } {
  if (!NGINX_BIN) throw new Error('nginx is not installed (apt-get install nginx-light)');
  const prefix = mkdtempSync(join(tmpdir(), 'nginx-'));
  mkdirSync(join(prefix, 'tmp'));
  writeFileSync(join(prefix, 'site.conf'), renderSiteConf(siteConf, { root, port }));
  const conf = join(prefix, 'nginx.conf');
  writeFileSync(conf, renderMainConf(prefix));
  const t = spawnSync(NGINX_BIN, ['-t', '-p', prefix, '-c', conf, '-e', join(prefix, 'error.log')], { encoding: 'utf8' });
  return { prefix, conf, test: { status: t.status, output: `${t.stdout}${t.stderr}` } };
}

/** Starts nginx in the foreground serving `root`; resolves once it answers. */
export async function startNginx(root: string, opts: { siteConf?: string } = {}): Promise<NginxHandle> {
  const port = await freePort();
  const { prefix, conf, test } = prepareNginx(root, port, opts.siteConf);
  if (test.status !== 0) throw new Error(`nginx -t failed:\n${test.output}`);
  const child: ChildProcess = spawn(NGINX_BIN!, ['-p', prefix, '-c', conf, '-e', join(prefix, 'error.log'), '-g', 'daemon off;'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`nginx exited (${child.exitCode}): ${stderr}`);
    try {
      await fetch(`${url}/`, { method: 'HEAD' });
      break;
    } catch {
      if (Date.now() > deadline) throw new Error(`nginx did not answer on ${url}: ${stderr}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return {
    url,
    port,
    prefix,
    errorLog: () => (existsSync(join(prefix, 'error.log')) ? readFileSync(join(prefix, 'error.log'), 'utf8') : ''),
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGQUIT');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 5_000))]);
        if (child.exitCode === null) child.kill('SIGKILL');
      }
      rmSync(prefix, { recursive: true, force: true });
    },
  };
}
