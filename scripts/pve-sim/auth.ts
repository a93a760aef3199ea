// API token authentication as pveproxy does it (pve-api.md §1.1): the value after
// "PVEAPIToken=" or "PVEAPIToken " is URI-unescaped and must be USER@REALM!TOKENID=SECRET.

export type AuthResult = { ok: true; user: string } | { ok: false; reason: 'No ticket' | 'Authentication failed!' };

const TOKEN_RE = /(?:^|\s)PVEAPIToken(?:=| )([^;]*)/;

/** Checks an Authorization header (and notices ticket cookies, which this simulator never issues). */
export function checkAuth(header: string | undefined, cookie: string | undefined, tokenId: string, tokenSecret: string): AuthResult {
  // A ticket takes precedence over a token; we issue none, so any ticket is invalid.
  if (cookie && /(?:^|;\s*)PVEAuthCookie=/.test(cookie)) return { ok: false, reason: 'Authentication failed!' };
  if (!header) return { ok: false, reason: 'No ticket' };
  if (/^PVEAuthCookie=/.test(header)) return { ok: false, reason: 'Authentication failed!' };
  const m = TOKEN_RE.exec(header);
  if (!m) return { ok: false, reason: 'No ticket' };
  let value: string;
  try {
    value = decodeURIComponent(m[1]!.trim());
  } catch {
    return { ok: false, reason: 'Authentication failed!' };
  }
  const eq = value.indexOf('=');
  if (eq === -1) return { ok: false, reason: 'Authentication failed!' };
  const id = value.slice(0, eq);
  const secret = value.slice(eq + 1);
  if (id !== tokenId || secret !== tokenSecret) return { ok: false, reason: 'Authentication failed!' };
  return { ok: true, user: id };
}
