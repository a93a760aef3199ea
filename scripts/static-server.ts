// A tiny static file server for the demo only (production serves the site with nginx, see
// systemd/). It serves the published site's `current` release, resolving the symlink per
// request so it always shows the newest complete build, and never leaves the site root.
import { createServer, type Server } from 'node:http';
import { createReadStream, statSync } from 'node:fs';
import { realpath } from 'node:fs/promises';
import { extname, join, resolve, sep } from 'node:path';

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
  const server = createServer((req, res) => {
    void (async () => {
      try {
        const base = await realpath(root);
        const url = new URL(req.url ?? '/', 'http://x');
        let file = resolve(base, '.' + decodeURIComponent(url.pathname));
        if (file !== base && !file.startsWith(base + sep)) throw Object.assign(new Error('outside'), { code: 'ENOENT' });
        if (statSync(file).isDirectory()) file = join(file, 'index.html');
        const st = statSync(file);
        res.writeHead(200, {
          'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
          'content-length': st.size,
          'cache-control': 'no-cache',
          'x-content-type-options': 'nosniff',
        });
        createReadStream(file).pipe(res);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        res.writeHead(code === 'ENOENT' || code === 'ENOTDIR' ? 404 : 500, { 'content-type': 'text/plain' });
        res.end(code === 'ENOENT' || code === 'ENOTDIR' ? 'not found (has the first cycle finished?)\n' : 'error\n');
      }
    })();
  });
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(port, host, () => ok());
  });
  return server;
}
