// Regression (issue 12 item 6): no size limits — a 100 MB JSON answer was accepted (104,682 fake
// guests stored, 1.55 GiB RSS) and a 1.5 MB gzip inflating to 1.5 GiB took the agent to 3.2 GiB.
// Hostile HTTPS servers on loopback; the client refuses the answer with PVE_TOO_LARGE, does not
// retry it, and a poll keeps the rest of its cycle.
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generate } from 'selfsigned';
import { createPveClient, DEFAULT_MAX_BODY_BYTES } from '../../agent/pve/pve-client.ts';
import { createPoller } from '../../agent/poll/poll-cycle.ts';
import { createLogger } from '../../agent/log/logger.ts';
import type { PmiError } from '../../agent/errors.ts';
import type { ClusterConfig } from '../../agent/config/config.schema.ts';

const SECRET = '5f0c1f2e-aaaa-bbbb-cccc-1234567890ab';
const log = createLogger({ level: 'silent' });
const MiB = 1024 * 1024;
let pems: { cert: string; private: string };
let fingerprint: string;
const servers: Server[] = [];

async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
  const s = createServer({ key: pems.private, cert: pems.cert }, handler);
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return `https://127.0.0.1:${(s.address() as AddressInfo).port}`;
}

const cluster = (url: string): ClusterConfig => ({ name: 'c1', endpoints: [url], tokenId: 'pmi@pve!agent', tokenSecret: SECRET, tls: { insecure: false, fingerprint }, timeoutMs: 60_000 });

async function caught(p: Promise<unknown>): Promise<PmiError> {
  try {
    await p;
  } catch (e) {
    return e as PmiError;
  }
  throw new Error('expected a rejection');
}

/** Streams `total` bytes of a never-ending JSON array without Content-Length, until the client hangs up. */
function endless(res: ServerResponse, total: number) {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.on('error', () => {});
  const chunk = Buffer.from('{"id":"qemu/1","type":"qemu","vmid":1,"node":"n","status":"running"},'.repeat(1000));
  let sent = 0;
  res.write('{"data":[');
  const pump = () => {
    while (sent < total && !res.destroyed) {
      sent += chunk.length;
      if (!res.write(chunk)) return void res.once('drain', pump);
    }
    if (!res.destroyed) res.end('{}]}');
  };
  pump();
}

beforeAll(async () => {
  pems = (await generate([{ name: 'commonName', value: '127.0.0.1' }], { keySize: 2048, extensions: [{ name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] }] } as never)) as never;
  fingerprint = new X509Certificate(pems.cert).fingerprint256;
});
afterAll(() => {
  for (const s of servers) s.close();
});

describe('response size caps', () => {
  it('defaults: an answer over 32 MiB without Content-Length is refused mid-stream, not retried', async () => {
    let requests = 0;
    const url = await serve((_q, res) => {
      requests++;
      endless(res, 40 * MiB);
    });
    const c = createPveClient({ cluster: cluster(url), secret: SECRET, log, retries: 2, retryBaseMs: 1, sleep: () => Promise.resolve() });
    const err = await caught(c.get('/cluster/resources'));
    expect(err.code).toBe('PVE_TOO_LARGE');
    expect(err.message).toMatch(new RegExp(`GET /cluster/resources at ${url}: the answer is more than \\d+ bytes, over the ${DEFAULT_MAX_BODY_BYTES}-byte limit \\(poll.maxResponseBytes\\); refused`));
    expect(requests).toBe(1);
    await c.close();
  });

  it('a Content-Length over the cap is refused before reading the body', async () => {
    const url = await serve((_q, res) => {
      res.on('error', () => {});
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(5 * MiB) });
      res.write('{"data":[');
    });
    const c = createPveClient({ cluster: cluster(url), secret: SECRET, log, retries: 0, retryBaseMs: 1, maxBodyBytes: MiB });
    const err = await caught(c.get('/cluster/resources'));
    expect(err.code).toBe('PVE_TOO_LARGE');
    expect(err.message).toContain(`the answer is ${5 * MiB} bytes (Content-Length), over the ${MiB}-byte limit`);
    await c.close();
  });

  it('a gzip bomb is refused once it inflates past the cap', async () => {
    // 64 MiB of JSON padding compresses to ~64 KiB
    const bomb = gzipSync(Buffer.concat([Buffer.from('{"data":"'), Buffer.alloc(64 * MiB, 0x20), Buffer.from('"}')]));
    expect(bomb.length).toBeLessThan(MiB);
    const url = await serve((_q, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
      res.end(bomb);
    });
    const c = createPveClient({ cluster: cluster(url), secret: SECRET, log, retries: 0, retryBaseMs: 1, maxInflatedBytes: 4 * MiB });
    const err = await caught(c.get('/nodes/pve1/status'));
    expect(err.code).toBe('PVE_TOO_LARGE');
    expect(err.message).toContain(`the gzip answer (${bomb.length} bytes) inflates to more than ${4 * MiB} bytes (poll.maxInflatedBytes); refused`);
    await c.close();
  });

  it('the rest of the cycle is kept: a node whose status is a bomb is skipped with that error', async () => {
    const fx = (n: string) => (JSON.parse(readFileSync(new URL(`../fixtures/pve/handwritten/${n}`, import.meta.url), 'utf8')) as { data: unknown });
    const bomb = gzipSync(Buffer.alloc(16 * MiB, 0x20));
    const url = await serve((req, res) => {
      const path = (req.url ?? '').replace(/^\/api2\/json/, '').replace(/\?.*$/, '');
      if (path === '/nodes/pve2/status') {
        res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
        return void res.end(bomb);
      }
      const file = { '/version': 'version-pve9.json', '/cluster/status': 'cluster-status.json', '/cluster/resources': 'cluster-resources.json', '/cluster/tasks': 'cluster-tasks.json' }[path] ?? 'node-status-pve9.json';
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(fx(file)));
    });
    const client = createPveClient({ cluster: cluster(url), secret: SECRET, log, retries: 0, retryBaseMs: 1, maxInflatedBytes: MiB });
    const [r] = await createPoller({ clients: new Map([['c1', client]]), log, now: () => Date.now(), concurrency: 1 }).pollAll();
    expect(r!.ok).toBe(true);
    expect(r!.snapshot!.guests.length).toBeGreaterThan(0);
    expect(r!.warnings.join('\n')).toMatch(/node pve2: .*inflates to more than 1048576 bytes/);
    await client.close();
  });
});
