// Self-signed certificates for the HTTPS listeners. EC P-256 keeps generation in the tens of
// milliseconds; one certificate per process and label is cached so many simulators start fast.
import { X509Certificate } from 'node:crypto';
import { generate } from 'selfsigned';

export interface SimCert {
  key: string;
  cert: string;
  /** SHA-256, colon-separated upper-case hex (the form /nodes publishes as ssl_fingerprint). */
  fingerprint: string;
}

const cache = new Map<string, Promise<SimCert>>();

async function make(cn: string): Promise<SimCert> {
  const now = Date.now();
  const pems = await generate([{ name: 'commonName', value: cn }, { name: 'organizationName', value: 'PVE Cluster Node' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notBeforeDate: new Date(now - 86_400_000),
    notAfterDate: new Date(now + 2 * 365 * 86_400_000),
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames: [{ type: 2, value: 'localhost' }, { type: 7, ip: '127.0.0.1' }] },
    ],
  });
  return { key: pems.private, cert: pems.cert, fingerprint: new X509Certificate(pems.cert).fingerprint256.toUpperCase() };
}

/** The certificate for a label ("main", "changed"), generated once per process. */
export function getCert(label: string): Promise<SimCert> {
  let p = cache.get(label);
  if (!p) {
    p = make(`pve-sim-${label}.local`);
    cache.set(label, p);
  }
  return p;
}
