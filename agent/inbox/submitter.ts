// Who dropped a file: the owner's uid, named through /etc/passwd (read directly; no dependency).
import { readFileSync } from 'node:fs';

export interface Submitter {
  uid: number | null;
  user: string | null;
}

/** Parses /etc/passwd text into uid → user name. Pure. */
export function parsePasswd(text: string): Map<number, string> {
  const out = new Map<number, string>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const f = line.split(':');
    const uid = Number(f[2]);
    if (f[0] && Number.isInteger(uid) && !out.has(uid)) out.set(uid, f[0]);
  }
  return out;
}

/**
 * A uid → user name lookup over a passwd file, re-read at most every `maxAgeMs` so new users show
 * up without a restart. Unknown uids (or an unreadable file) give user null.
 */
export function createUserLookup(opts: { passwdFile?: string; now: () => number; maxAgeMs?: number }): (uid: number | null) => Submitter {
  const file = opts.passwdFile ?? '/etc/passwd';
  let cache: Map<number, string> = new Map();
  let loadedAt = -Infinity;
  return (uid) => {
    if (uid === null) return { uid: null, user: null };
    const age = opts.now() - loadedAt;
    if (age > (opts.maxAgeMs ?? 60_000) || (!cache.has(uid) && age > 1000)) {
      try {
        cache = parsePasswd(readFileSync(file, 'utf8'));
      } catch {
        cache = new Map();
      }
      loadedAt = opts.now();
    }
    return { uid, user: cache.get(uid) ?? null };
  };
}
