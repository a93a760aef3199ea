// Who dropped a file: the owner's uid, named through /etc/passwd, with the groups /etc/group gives
// that user (read directly; no dependency). A uid or group the files do not know (LDAP, SSSD,
// systemd-homed: anything NSS serves) is asked of NSS through getent(1) and id(1), so directory
// users get the same policy as local ones. Policy rules match on these; intake checks that the
// owner belongs to the submit group.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

export interface Submitter {
  uid: number | null;
  user: string | null;
  /** Primary and supplementary group ids (empty when the uid is unknown). */
  gids?: readonly number[];
  /** Their names, where /etc/group knows them. */
  groups?: readonly string[];
}

interface PasswdEntry {
  name: string;
  gid: number;
}

/** Parses /etc/passwd text into uid → user name. Pure. */
export function parsePasswd(text: string): Map<number, string> {
  return new Map([...parsePasswdEntries(text)].map(([uid, e]) => [uid, e.name]));
}

function parsePasswdEntries(text: string): Map<number, PasswdEntry> {
  const out = new Map<number, PasswdEntry>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const f = line.split(':');
    const uid = Number(f[2]);
    if (f[0] && f[2] !== '' && Number.isInteger(uid) && !out.has(uid)) out.set(uid, { name: f[0], gid: Number(f[3]) });
  }
  return out;
}

export interface GroupEntry {
  name: string;
  gid: number;
  members: string[];
}

/** Parses /etc/group text. Pure. */
export function parseGroup(text: string): GroupEntry[] {
  const out: GroupEntry[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const f = line.split(':');
    const gid = Number(f[2]);
    if (f[0] && f[2] !== '' && Number.isInteger(gid)) out.push({ name: f[0], gid, members: (f[3] ?? '').split(',').filter(Boolean) });
  }
  return out;
}

/** The groups of a user: its primary gid plus every group that lists it as a member. Pure. */
export function groupsOf(user: string, primaryGid: number, groups: readonly GroupEntry[]): { gids: number[]; groups: string[] } {
  const gids = new Set<number>([primaryGid]);
  for (const g of groups) if (g.members.includes(user)) gids.add(g.gid);
  const names = [...gids].map((gid) => groups.find((g) => g.gid === gid)?.name).filter((n): n is string => Boolean(n));
  return { gids: [...gids], groups: names };
}

export interface UserLookup {
  (uid: number | null): Submitter;
  /** A group's gid by name or number string, or undefined (for policy rules naming groups). */
  groupId(nameOrId: string | number): number | undefined;
}

/**
 * A uid → submitter lookup over passwd and group files, re-read at most every `maxAgeMs` so new users
 * and memberships show up without a restart (and at most once a second on an unknown uid). Unknown
 * uids (or unreadable files) give user null and no groups.
 */
export function createUserLookup(opts: { passwdFile?: string; groupFile?: string; now: () => number; maxAgeMs?: number; nss?: NssLookup | null }): UserLookup {
  const nss = opts.nss === undefined ? systemNss : opts.nss;
  const passwdFile = opts.passwdFile ?? '/etc/passwd';
  const groupFile = opts.groupFile ?? '/etc/group';
  let users = new Map<number, PasswdEntry>();
  let groups: GroupEntry[] = [];
  let loadedAt = -Infinity;
  const load = (force: boolean) => {
    const age = opts.now() - loadedAt;
    if (age <= (opts.maxAgeMs ?? 60_000) && !(force && age > 1000)) return;
    users = readOr(passwdFile, parsePasswdEntries, new Map());
    groups = readOr(groupFile, parseGroup, []);
    loadedAt = opts.now();
  };
  const lookup = ((uid: number | null): Submitter => {
    if (uid === null) return { uid: null, user: null, gids: [], groups: [] };
    load(!users.has(uid));
    const e = users.get(uid);
    if (!e) return nss?.user(uid) ?? { uid, user: null, gids: [], groups: [] };
    return { uid, user: e.name, ...groupsOf(e.name, e.gid, groups) };
  }) as UserLookup;
  lookup.groupId = (nameOrId) => {
    if (typeof nameOrId === 'number') return nameOrId;
    if (/^\d+$/.test(nameOrId)) return Number(nameOrId);
    load(false);
    return groups.find((g) => g.name === nameOrId)?.gid ?? nss?.groupId(nameOrId);
  };
  return lookup;
}

/** Users and groups the files do not know, from NSS. */
export interface NssLookup {
  user(uid: number): Submitter | undefined;
  groupId(name: string): number | undefined;
}

// Each answer is kept for a minute: a drop in the inbox must not fork per file, and a directory
// server that is down must not stall intake for longer than one bounded call.
const NSS_TTL_MS = 60_000;
const NSS_TIMEOUT_MS = 2_000;

function run(cmd: string, args: string[]): string | undefined {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', timeout: NSS_TIMEOUT_MS, stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    return undefined; // exit 2 = not found; a missing binary or a timeout reads the same: unknown
  }
}

/** NSS through getent(1) and id(1) (both in every Debian base system), cached. */
export function createNssLookup(now: () => number = Date.now): NssLookup {
  const users = new Map<number, { at: number; value: Submitter | undefined }>();
  const groupIds = new Map<string, { at: number; value: number | undefined }>();
  const cached = <K, V>(m: Map<K, { at: number; value: V }>, key: K, get: () => V): V => {
    const hit = m.get(key);
    if (hit && now() - hit.at < NSS_TTL_MS) return hit.value;
    const value = get();
    m.set(key, { at: now(), value });
    return value;
  };
  return {
    user: (uid) =>
      cached(users, uid, () => {
        const entry = run('getent', ['passwd', String(uid)])?.split('\n')[0]?.split(':');
        if (!entry?.[0]) return undefined;
        const gids = (run('id', ['-G', '--', entry[0]]) ?? entry[3] ?? '').trim().split(/\s+/).filter(Boolean).map(Number);
        const names = (run('id', ['-Gn', '--', entry[0]]) ?? '').trim().split(/\s+/).filter(Boolean);
        return { uid, user: entry[0], gids, groups: names.length === gids.length ? names : [] };
      }),
    groupId: (name) =>
      cached(groupIds, name, () => {
        const gid = Number(run('getent', ['group', name])?.split(':')[2]);
        return Number.isInteger(gid) ? gid : undefined;
      }),
  };
}

const systemNss = createNssLookup();

function readOr<T>(file: string, parse: (text: string) => T, fallback: T): T {
  try {
    return parse(readFileSync(file, 'utf8'));
  } catch {
    return fallback;
  }
}
