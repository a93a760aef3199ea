// Real receivers on loopback for the alert delivery tests: an HTTPS webhook receiver (certificate
// signed by the simulator's CA) and an SMTP server with STARTTLS (smtp-server).
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { getCa, getNodeCert } from '../../scripts/pve-sim/certs.ts';

export interface Received { headers: Record<string, string | string[] | undefined>; body: string; path: string }

export interface WebhookReceiver {
  url: string;
  port: number;
  received: Received[];
  /** Status to answer with (default 200); a function sees the request's number (1-based). */
  status: number | ((n: number) => number);
  /** Closes the listener (connections are refused) until up() opens it again on the same port. */
  down(): Promise<void>;
  up(): Promise<void>;
  close(): Promise<void>;
}

export async function caPem(): Promise<string> {
  return (await getCa()).cert;
}

export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const cert = await getNodeCert();
  const r: WebhookReceiver = {
    url: '', port: 0, received: [], status: 200,
    down: async () => undefined, up: async () => undefined, close: async () => undefined,
  };
  let server: Server | undefined;
  let count = 0;
  const listen = (port: number) =>
    new Promise<Server>((resolve, reject) => {
      const s = createServer({ key: cert.key, cert: cert.cert }, (req, res) => {
        let body = '';
        req.on('data', (d: Buffer) => (body += d.toString()));
        req.on('end', () => {
          count++;
          const status = typeof r.status === 'function' ? r.status(count) : r.status;
          if (status >= 200 && status < 300) r.received.push({ headers: req.headers, body, path: req.url ?? '' });
          res.writeHead(status, { 'content-type': 'text/plain', connection: 'close' }).end(status < 300 ? 'ok' : 'try later');
        });
      });
      s.once('error', reject);
      s.listen(port, '127.0.0.1', () => resolve(s));
    });
  server = await listen(0);
  r.port = (server.address() as AddressInfo).port;
  r.url = `https://127.0.0.1:${r.port}/hook`;
  const closeServer = async () => {
    const s = server;
    server = undefined;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((res) => s.close(() => res()));
  };
  r.down = closeServer;
  r.up = async () => { server ??= await listen(r.port); };
  r.close = closeServer;
  return r;
}

export interface SmtpMail { from: string; to: string[]; raw: string; secure: boolean }
export interface SmtpReceiver { port: number; mails: SmtpMail[]; close(): Promise<void> }

/** An SMTP server on loopback offering STARTTLS; records each message with whether TLS was on. */
export async function startSmtpReceiver(opts: { user?: string; password?: string } = {}): Promise<SmtpReceiver> {
  const cert = await getNodeCert();
  const mails: SmtpMail[] = [];
  const server = new SMTPServer({
    key: cert.key,
    cert: cert.cert,
    authOptional: !opts.user,
    disabledCommands: opts.user ? [] : ['AUTH'],
    logger: false,
    onAuth(auth, _session, cb) {
      if (auth.username === opts.user && auth.password === opts.password) cb(null, { user: auth.username });
      else cb(new Error('bad credentials'));
    },
    onData(stream, session, cb) {
      let raw = '';
      stream.on('data', (d: Buffer) => (raw += d.toString()));
      stream.on('end', () => {
        mails.push({ from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '', to: session.envelope.rcptTo.map((t) => t.address), raw, secure: session.secure });
        cb();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.server.address() as AddressInfo).port;
  return { port, mails, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}
