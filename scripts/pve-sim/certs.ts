// Certificates for the HTTPS listeners, shaped like a Proxmox cluster's: a per-process
// "PVE Cluster Manager CA" signs the node certificate every endpoint serves (pveproxy serves
// pve-ssl.pem signed by pve-root-ca.pem), so clients can pin the SHA-256 fingerprint or trust the
// CA. The "changed" certificate is self-signed by a stranger, so both kinds of check reject it.
// EC P-256 keeps generation in the tens of milliseconds; everything is cached per process.
import { X509Certificate } from 'node:crypto';
import { generate } from 'selfsigned';

export interface SimCert {
  key: string;
  cert: string;
  /** SHA-256, colon-separated upper-case hex (the form /nodes publishes as ssl_fingerprint). */
  fingerprint: string;
}

const DAY_MS = 86_400_000;
const cache = new Map<string, Promise<SimCert>>();

function fingerprintOf(pem: string): string {
  return new X509Certificate(pem).fingerprint256.toUpperCase();
}

async function makeCa(): Promise<SimCert> {
  const now = Date.now();
  const pems = await generate([{ name: 'commonName', value: 'Proxmox Virtual Environment' }, { name: 'organizationName', value: 'PVE Cluster Manager CA' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notBeforeDate: new Date(now - DAY_MS),
    notAfterDate: new Date(now + 10 * 365 * DAY_MS),
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    ],
  });
  return { key: pems.private, cert: pems.cert, fingerprint: fingerprintOf(pems.cert) };
}

async function makeLeaf(cn: string, ca: SimCert | undefined): Promise<SimCert> {
  const now = Date.now();
  const pems = await generate([{ name: 'commonName', value: cn }, { name: 'organizationName', value: 'PVE Cluster Node' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notBeforeDate: new Date(now - DAY_MS),
    notAfterDate: new Date(now + 2 * 365 * DAY_MS),
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames: [{ type: 2, value: 'localhost' }, { type: 7, ip: '127.0.0.1' }] },
    ],
    ...(ca ? { ca: { key: ca.key, cert: ca.cert } } : {}),
  });
  return { key: pems.private, cert: pems.cert, fingerprint: fingerprintOf(pems.cert) };
}

function cached(label: string, make: () => Promise<SimCert>): Promise<SimCert> {
  let p = cache.get(label);
  if (!p) {
    p = make();
    cache.set(label, p);
  }
  return p;
}

/** The cluster CA (generated once per process). */
export function getCa(): Promise<SimCert> {
  return cached('ca', makeCa);
}

/** The node certificate, signed by the CA. */
export async function getNodeCert(): Promise<SimCert> {
  const ca = await getCa();
  return cached('node', () => makeLeaf('pve-sim.local', ca));
}

/** A self-signed stranger certificate, for the certChanged fault. */
export function getChangedCert(): Promise<SimCert> {
  return cached('changed', () => makeLeaf('pve-sim-changed.local', undefined));
}
