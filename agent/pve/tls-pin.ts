// Certificate pinning by SHA-256 fingerprint, in the colon-separated upper-case form Proxmox
// publishes as `ssl_fingerprint` in GET /nodes (pve-api.md §2). Pure.
import { PmiError } from '../errors.ts';

/** "ab:cd…" or "abcd…" → "AB:CD:…". */
export function normalizeFingerprint(fp: string): string {
  const hex = fp.replace(/[^0-9a-fA-F]/g, '').toUpperCase();
  return hex.match(/.{2}/g)?.join(':') ?? '';
}

/** undefined when the peer's fingerprint matches; otherwise the PVE_TLS error naming endpoint, expected and seen. */
export function checkFingerprint(endpoint: string, expected: string, seen: string | undefined): PmiError | undefined {
  const want = normalizeFingerprint(expected);
  const got = seen ? normalizeFingerprint(seen) : '';
  if (got && got === want) return undefined;
  return new PmiError(
    'PVE_TLS',
    `TLS certificate of ${endpoint} does not match the pinned fingerprint: expected ${want}, seen ${got || '(no certificate)'}`,
    { details: { endpoint, expected: want, seen: got || null } },
  );
}
