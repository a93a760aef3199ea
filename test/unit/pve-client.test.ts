import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { X509Certificate } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generate } from 'selfsigned';
import { createPveClient } from '../../agent/pve/pve-client.ts';
import { createLogger } from '../../agent/log/logger.ts';
import type { PmiError } from '../../agent/errors.ts';
import type { ClusterConfig } from '../../agent/config/config.schema.ts';
import type { IncomingMessage, ServerResponse } from 'node:http';

const SECRET = '5f0c1f2e-aaaa-bbbb-cccc-1234567890ab';
type Handler = (req: IncomingMessage, res: ServerResponse) => void;

let pems: { cert: string; private: string };
let fingerprint: string;
const servers: Server[] = [];

async function serve(handler: Handler): Promise<string> {
  const s = createServer({ key: pems.private, cert: pems.cert }, handler);
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return `https://127.0.0.1:${(s.address() as AddressInfo).port}`;
}

function sink() {
  const lines: Array<Record<string, unknown>> = [];
  const raw: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      raw.push(String(chunk));
      for (const l of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(l) as Record<string, unknown>);
      cb();
    },
  });
  return { log: createLogger({ level: 'debug', destination: stream, secrets: () => [SECRET] }), lines, raw };
}

function cluster(endpoints: string[], tls: Partial<ClusterConfig['tls']> = {}, timeoutMs = 2000): ClusterConfig {
  return { name: 'c1', endpoints, tokenId: 'pmi@pve!agent', tokenSecret: SECRET, tls: { insecure: false, fingerprint, ...tls }, timeoutMs };
}

function json(res: ServerResponse, status: number, reason: string, body: unknown) {
  res.writeHead(status, reason, { 'content-type': 'application/json' });
  res.end(body === undefined ? '' : JSON.stringify(body));
}

async function caught(p: Promise<unknown>): Promise<PmiError> {
  try {
    await p;
  } catch (e) {
    return e as PmiError;
  }
  throw new Error('expected a rejection');
}

const noSleep = () => Promise.resolve();

beforeAll(async () => {
  pems = await generate([{ name: 'commonName', value: '127.0.0.1' }], { keySize: 2048, extensions: [{ name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] }] } as never) as never;
  fingerprint = new X509Certificate(pems.cert).fingerprint256;
});
afterAll(() => {
  for (const s of servers) s.close();
});

describe('createPveClient', () => {
  it('sends the token header, unwraps data and accepts gzip', async () => {
    let auth = '';
    const url = await serve((req, res) => {
      auth = String(req.headers.authorization);
      const body = gzipSync(JSON.stringify({ data: { version: '8.2.4', release: '8.2', repoid: 'abc' } }));
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
      res.end(body);
    });
    const { log, raw } = sink();
    const c = createPveClient({ cluster: cluster([url]), secret: SECRET, log, retries: 0, retryBaseMs: 1 });
    expect(await c.get('/version')).toEqual({ version: '8.2.4', release: '8.2', repoid: 'abc' });
    expect(auth).toBe(`PVEAPIToken=pmi@pve!agent=${SECRET}`);
    expect(c.takeStats()).toEqual({ requests: 1, errors: 0, retries: 0 });
    expect(raw.join('')).not.toContain(SECRET);
    await c.close();
  });

  it('wrong fingerprint → PVE_TLS naming endpoint, expected and seen', async () => {
    const url = await serve((_q, res) => json(res, 200, 'OK', { data: 1 }));
    const wrong = 'AA:' + fingerprint.slice(3).replace(/^./, (ch) => (ch === '0' ? '1' : '0'));
    const { log } = sink();
    const c = createPveClient({ cluster: cluster([url], { fingerprint: wrong }), secret: SECRET, log, retries: 2, retryBaseMs: 1, sleep: noSleep });
    const err = await caught(c.get('/version'));
    expect(err.code).toBe('PVE_TLS');
    expect(err.message).toContain(url);
    expect(err.message).toContain(`expected ${wrong}`);
    expect(err.message).toContain(`seen ${fingerprint}`);
    expect(c.takeStats().requests).toBe(1); // not retried
    await c.close();
  });

  it('CA file mode verifies the chain; insecure warns at creation', async () => {
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 'pmi-ca-'));
    writeFileSync(join(dir, 'ca.pem'), pems.cert);
    const url = await serve((_q, res) => json(res, 200, 'OK', { data: 'ok' }));
    const { log, lines } = sink();
    const c = createPveClient({ cluster: cluster([url], { fingerprint: undefined, caFile: join(dir, 'ca.pem') }), secret: SECRET, log, retries: 0, retryBaseMs: 1 });
    expect(await c.get('/x')).toBe('ok');
    const other = await generate([{ name: 'commonName', value: 'other' }], { keySize: 2048 } as never) as unknown as { cert: string };
    writeFileSync(join(dir, 'other.pem'), other.cert);
    const bad = createPveClient({ cluster: cluster([url], { fingerprint: undefined, caFile: join(dir, 'other.pem') }), secret: SECRET, log, retries: 0, retryBaseMs: 1 });
    expect((await caught(bad.get('/x'))).code).toBe('PVE_TLS');
    expect(lines.some((l) => l.level === 'warn')).toBe(false);
    const ins = createPveClient({ cluster: cluster([url], { fingerprint: undefined, insecure: true }), secret: SECRET, log, retries: 0, retryBaseMs: 1 });
    expect(await ins.get('/x')).toBe('ok');
    expect(lines.filter((l) => l.level === 'warn').map((l) => l.msg)).toEqual([expect.stringContaining('TLS verification is OFF')]);
    await Promise.all([c.close(), bad.close(), ins.close()]);
  });

  it('maps 401, 403, 595, 500, 400 and bad JSON to their codes; retries only transient GETs', async () => {
    const url = await serve((req, res) => {
      const p = req.url ?? '';
      if (p.includes('/auth')) return json(res, 401, 'Authentication failed!', undefined);
      if (p.includes('/forbidden')) return json(res, 403, 'Permission check failed (/, Sys.Audit)', { data: null });
      if (p.includes('/offline')) return json(res, 595, 'No route to host', undefined);
      if (p.includes('/boom')) return json(res, 500, 'VM 100 not running', { data: null, message: 'VM 100 not running\n' });
      if (p.includes('/param')) return json(res, 400, 'Parameter verification failed.', { data: null, errors: { vmid: 'VM 200 already exists' } });
      if (p.includes('/garbage')) {
        res.writeHead(200, { 'content-type': 'application/json' });
        return res.end('{"data": [1, 2');
      }
      json(res, 200, 'OK', { data: null });
    });
    const { log } = sink();
    const c = createPveClient({ cluster: cluster([url]), secret: SECRET, log, retries: 2, retryBaseMs: 1, sleep: noSleep });
    const auth = await caught(c.get('/auth'));
    expect(auth.code).toBe('PVE_AUTH');
    expect(auth.message).toBe(`authentication failed at ${url}: 401 Authentication failed!`);
    expect(c.takeStats()).toMatchObject({ requests: 1, retries: 0 });
    expect((await caught(c.get('/forbidden'))).code).toBe('PVE_FORBIDDEN');
    expect(c.takeStats().requests).toBe(1);
    const off = await caught(c.get('/nodes/n2/offline'));
    expect(off.code).toBe('PVE_NODE_OFFLINE');
    expect(c.takeStats()).toMatchObject({ requests: 3, retries: 2 });
    const boom = await caught(c.get('/boom'));
    expect(boom.code).toBe('PVE_HTTP');
    expect(boom.details.status).toBe(500);
    expect(boom.message).toContain('VM 100 not running');
    c.takeStats();
    const post = await caught(c.post('/boom', { a: 1 }));
    expect(post.code).toBe('PVE_HTTP');
    expect(c.takeStats()).toMatchObject({ requests: 1, retries: 0 });
    const param = await caught(c.get('/param'));
    expect(param.message).toContain('vmid: VM 200 already exists');
    expect(c.takeStats().requests).toBe(1);
    expect((await caught(c.get('/garbage'))).code).toBe('PVE_BAD_RESPONSE');
    await c.close();
  });

  it('times out a hanging request (headers or body) with PVE_TIMEOUT', async () => {
    const url = await serve((req, res) => {
      if (req.url?.includes('body')) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('{"data":');
      }
      // never ends
    });
    const { log } = sink();
    const c = createPveClient({ cluster: cluster([url], {}, 300), secret: SECRET, log, retries: 0, retryBaseMs: 1 });
    const t0 = Date.now();
    expect((await caught(c.get('/hang'))).code).toBe('PVE_TIMEOUT');
    expect((await caught(c.get('/hang-body'))).code).toBe('PVE_TIMEOUT');
    expect(Date.now() - t0).toBeLessThan(1500);
    await c.close();
  });

  it('a per-call timeoutMs longer than the cluster timeout is honoured (slow POSTs)', async () => {
    const url = await serve((_q, res) => setTimeout(() => json(res, 200, 'OK', { data: 'late' }), 400));
    const { log } = sink();
    const c = createPveClient({ cluster: cluster([url], {}, 200), secret: SECRET, log, retries: 0, retryBaseMs: 1 });
    expect((await caught(c.get('/slow'))).code).toBe('PVE_TIMEOUT');
    expect(await c.post('/slow', {}, { timeoutMs: 2000 })).toBe('late');
    await c.close();
  });

  it('a POST that timed out after connecting is not sent to the next endpoint (it may have started a task)', async () => {
    let firstGotPost = 0;
    let secondGotPost = 0;
    const slow = await serve((q, res) => { if (q.method === 'POST') firstGotPost++; setTimeout(() => json(res, 200, 'OK', { data: 'UPID:a' }), 400); });
    const other = await serve((q, res) => { if (q.method === 'POST') secondGotPost++; json(res, 200, 'OK', { data: 'UPID:b' }); });
    const { log } = sink();
    const c = createPveClient({ cluster: cluster([slow, other], {}, 150), secret: SECRET, log, retries: 0, retryBaseMs: 1 });
    expect((await caught(c.post('/nodes/pve1/qemu/100/status/start'))).code).toBe('PVE_TIMEOUT');
    expect(firstGotPost).toBe(1);
    expect(secondGotPost).toBe(0);
    expect(c.endpoint()).toBe(slow);
    await c.close();
  });

  it('a POST refused before connecting does fail over: it provably never left', async () => {
    const dead = await serve(() => undefined);
    const deadServer = servers.at(-1)!;
    await new Promise<void>((r) => deadServer.close(() => r()));
    const live = await serve((_q, res) => json(res, 200, 'OK', { data: 'UPID:live' }));
    const { log } = sink();
    const c = createPveClient({ cluster: cluster([dead, live]), secret: SECRET, log, retries: 0, retryBaseMs: 1 });
    expect(await c.post('/nodes/pve1/qemu/100/status/start')).toBe('UPID:live');
    await c.close();
  });

  it('fails over to the next endpoint when the first refuses connections, and remembers it', async () => {
    const dead = await serve(() => undefined);
    const deadServer = servers.at(-1)!;
    await new Promise<void>((r) => deadServer.close(() => r()));
    const live = await serve((_q, res) => json(res, 200, 'OK', { data: 'live' }));
    const { log, lines } = sink();
    const c = createPveClient({ cluster: cluster([dead, live]), secret: SECRET, log, retries: 0, retryBaseMs: 1 });
    expect(c.endpoint()).toBe(dead);
    expect(await c.get('/x')).toBe('live');
    expect(c.endpoint()).toBe(live);
    expect(c.takeStats()).toMatchObject({ requests: 2, errors: 1 });
    expect(await c.get('/x')).toBe('live');
    expect(c.takeStats()).toMatchObject({ requests: 1, errors: 0 });
    expect(lines.some((l) => String(l.msg).includes(`now using endpoint ${live}`))).toBe(true);
    await c.close();
  });

  it('a keep-alive socket the server closed while idle causes no error', async () => {
    let connections = 0;
    const url = await serve((_q, res) => json(res, 200, 'OK', { data: 'ok' }));
    const s = servers.at(-1)!;
    // Like pveproxy: no Keep-Alive hint, the server just closes sockets idle for a while.
    s.keepAliveTimeout = 0;
    s.on('secureConnection', (sock) => {
      connections++;
      let t: NodeJS.Timeout | undefined;
      const arm = () => {
        clearTimeout(t);
        t = setTimeout(() => sock.end(), 250);
      };
      sock.on('data', arm);
      arm();
    });
    const { log } = sink();
    const c = createPveClient({ cluster: cluster([url]), secret: SECRET, log, retries: 0, retryBaseMs: 1 });
    expect(await c.get('/a')).toBe('ok');
    await new Promise((r) => setTimeout(r, 20)); // undici frees the connection a tick after the body
    expect(await c.get('/b')).toBe('ok');
    expect(connections).toBe(1);
    await new Promise((r) => setTimeout(r, 600));
    expect(await c.get('/c')).toBe('ok');
    expect(connections).toBe(2);
    await c.close();
  });

  it('a reused socket reset under a GET is resent once, even with retries 0', async () => {
    let n = 0;
    const url = await serve((req, res) => {
      n++;
      if (n === 2) return req.socket.destroy(); // the race: the server dropped the connection as we reused it
      json(res, 200, 'OK', { data: n });
    });
    servers.at(-1)!.keepAliveTimeout = 0;
    const { log } = sink();
    const c = createPveClient({ cluster: cluster([url]), secret: SECRET, log, retries: 0, retryBaseMs: 1 });
    expect(await c.get('/a')).toBe(1);
    await new Promise((r) => setTimeout(r, 20));
    expect(await c.get('/b')).toBe(3);
    expect(c.takeStats()).toMatchObject({ requests: 3, retries: 1 });
    n = 1;
    await new Promise((r) => setTimeout(r, 20));
    expect((await caught(c.post('/p'))).code).toBe('PVE_UNREACHABLE'); // never resent
    await c.close();
  });
});
