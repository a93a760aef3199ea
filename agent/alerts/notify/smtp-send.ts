// The SMTP boundary: the only file that imports nodemailer. STARTTLS is required (not merely
// attempted) for `security: starttls`, so a server that does not offer it fails the delivery
// instead of silently sending in clear text. nodemailer is loaded at the first mail, not at start:
// ~1.8 MB of heap an agent without SMTP notifications does not need (#13 item 7).
import { readFileSync } from 'node:fs';

export interface SmtpMessage {
  host: string;
  port: number;
  security: 'starttls' | 'tls' | 'none';
  user?: string;
  password?: string;
  caFile?: string;
  timeoutMs: number;
  from: string;
  to: string[];
  subject: string;
  text: string;
  headers: Record<string, string>;
}
export type SmtpSend = (m: SmtpMessage) => Promise<void>;

export const smtpSend: SmtpSend = async (m) => {
  const { default: nodemailer } = await import('nodemailer');
  const transport = nodemailer.createTransport({
    host: m.host,
    port: m.port,
    secure: m.security === 'tls',
    requireTLS: m.security === 'starttls',
    ignoreTLS: m.security === 'none',
    ...(m.user && { auth: { user: m.user, pass: m.password ?? '' } }),
    ...(m.caFile && { tls: { ca: readFileSync(m.caFile, 'utf8') } }),
    connectionTimeout: m.timeoutMs,
    greetingTimeout: m.timeoutMs,
    socketTimeout: m.timeoutMs,
  });
  try {
    await transport.sendMail({ from: m.from, to: m.to, subject: m.subject, text: m.text, headers: m.headers });
  } finally {
    transport.close();
  }
};
