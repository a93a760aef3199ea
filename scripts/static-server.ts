// A tiny static file server for the demo only (production serves the site with nginx, see
// systemd/). It serves the published site's `current` release, resolving the symlink per
// request so it always shows the newest complete build, and never leaves the site root. It sends
// the security headers of the shipped nginx site (read from that file, so the two cannot drift)
// and refuses what nginx refuses (dotfiles, methods other than GET/HEAD): the demo shows what
// production enforces, a Content-Security-Policy violation included.
import { createServer, type Server, type ServerResponse } from 'node:http';
import { createReadStream, readFileSync, statSync } from 'node:fs';
import { realpath } from 'node:fs/promises';
import { dirname, extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The nginx site the headers come from. */
export const NGINX_SITE_CONF = fileURLToPath(new URL('../systemd/nginx-pmi-dashboard.conf', import.meta.url));

/**
 * The headers an nginx site config adds to every response: its `add_header Name "value" always;`
 * lines with a literal value (Cache-Control comes from a map variable and is left out; commented
 * lines such as the HSTS template do not count). Pure.
 */
export function nginxSecurityHeaders(conf: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of conf.matchAll(/^\s*add_header\s+([A-Za-z0-9-]+)\s+"([^"$]*)"\s+always;/gm)) out[m[1]!.toLowerCase()] = m[2]!;
  return out;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.json': 'application/json',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
};

/** Serves `root` (a directory or a symlink to one) on host:port; resolves once listening. */
export async function startStaticServer(root: string, port: number, host = '127.0.0.1'): Promise<Server> {
  const security = nginxSecurityHeaders(readFileSync(NGINX_SITE_CONF, 'utf8'));
  const refuse = (res: ServerResponse, status: number, text: string) => {
    res.writeHead(status, { ...security, 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-cache' });
    res.end(text);
  };
  const server = createServer((req, res) => {
    void (async () => {
      try {
        // nginx: `limit_except GET { deny all; }` (GET includes HEAD) and `location ~ /\. { return 404; }`
        if (req.method !== 'GET' && req.method !== 'HEAD') return refuse(res, 403, 'forbidden\n');
        const base = await realpath(root);
        const url = new URL(req.url ?? '/', 'http://x');
        const path = decodeURIComponent(url.pathname);
        if (path.includes('/.')) return refuse(res, 404, 'not found\n');
        let file = resolve(base, '.' + path);
        if (file !== base && !file.startsWith(base + sep)) throw Object.assign(new Error('outside'), { code: 'ENOENT' });
        if (statSync(file).isDirectory()) file = join(file, 'index.html');
        // nginx's `disable_symlinks if_not_owner` refuses links out of the site (its try_files
        // then answers 404); here: a file whose real path is outside the site directory (the
        // parent of `current`) is not found.
        const real = await realpath(file);
        const site = await realpath(dirname(resolve(root)));
        if (!real.startsWith(site + sep)) return refuse(res, 404, 'not found\n');
        const st = statSync(real);
        res.writeHead(200, {
          ...security,
          'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
          'content-length': st.size,
          'cache-control': 'no-cache',
        });
        if (req.method === 'HEAD') res.end();
        else createReadStream(real).pipe(res);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ENOENT' || code === 'ENOTDIR') refuse(res, 404, 'not found (has the first cycle finished?)\n');
        else refuse(res, 500, 'error\n');
      }
    })();
  });
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(port, host, () => ok());
  });
  return server;
}
