// The inbox directory protocol (Maildir style): producers write tmp/ and rename into new/; we claim
// by renaming new/ → cur/; results land in done/, failed/ or rejected/, staged in the agent's own
// .staging/ and hard-linked into place. tmp/ and new/ are shared with people who do not trust each
// other (see the threat model in README.md): nothing here follows a link, recurses, or acts on a path
// twice where an attacker could swap it in between.
import { constants as C } from 'node:fs';
import { chmod, link, lstat, mkdir, open, readdir, rename, rmdir, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { ActionOutcome } from '../store/schema.ts';
import { MAX_REQUEST_BYTES } from './parse-action.ts';

export const SUBDIRS = ['tmp', 'new', 'cur', 'done', 'failed', 'rejected'] as const;
export type Subdir = (typeof SUBDIRS)[number];
/** Shared with the submit group: writable by others, so they must be sticky. */
export const SHARED_SUBDIRS = ['tmp', 'new'] as const;
/** Where results are staged before they are linked into their folder: the agent's alone. */
export const STAGING = '.staging';
const S_ISVTX = 0o1000;

export interface Maildir {
  root: string;
  path(sub: Subdir | typeof STAGING, name?: string): string;
  /** The group of new/ (the submit group: whoever can write new/ is in it). */
  submitGid: number;
}

export interface MaildirFinding {
  level: 'warn' | 'error';
  message: string;
}

/**
 * Creates the inbox and its sub-directories and puts what the agent owns in the shape the threat
 * model needs: tmp/ and new/ sticky (so a member can neither delete nor rename another member's
 * file), .staging/ 0700. Returns what it could not fix (directories owned by someone else) as findings.
 */
export async function openMaildir(root: string): Promise<{ md: Maildir; findings: MaildirFinding[] }> {
  const findings: MaildirFinding[] = [];
  const me = process.geteuid?.() ?? 0;
  for (const d of SUBDIRS) await mkdir(join(root, d), { recursive: true, mode: 0o770 });
  for (const d of SHARED_SUBDIRS) {
    const p = join(root, d);
    const st = await stat(p);
    if (st.mode & S_ISVTX) continue;
    if (st.uid === me) await chmod(p, (st.mode & 0o7777) | S_ISVTX);
    else if (st.mode & 0o022) findings.push({ level: 'error', message: `${p} is writable by others but not sticky (chmod +t): a member could delete or replace another member's request` });
  }
  const staging = join(root, STAGING);
  await mkdir(staging, { mode: 0o700 }).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'EEXIST') throw err;
  });
  const st = await lstat(staging);
  if (!st.isDirectory() || st.uid !== me) throw new Error(`${staging} must be a directory owned by the agent (uid ${me}); it is not: refusing to stage results there`);
  if (st.mode & 0o077) await chmod(staging, 0o700);
  const top = await stat(root);
  if (top.mode & 0o002 || (top.mode & 0o020 && !(top.mode & S_ISVTX))) {
    findings.push({ level: 'error', message: `${root} is writable by others: its sub-directories (results, .staging) could be replaced; make it 2750 (owner: the agent)` });
  }
  for (const d of ['cur', 'done', 'failed', 'rejected'] as const) {
    const s = await stat(join(root, d));
    if (s.mode & 0o022) findings.push({ level: 'error', message: `${join(root, d)} is writable by others (mode ${(s.mode & 0o7777).toString(8)}); only the agent may write it (2750)` });
  }
  const submitGid = (await stat(join(root, 'new'))).gid;
  return { md: { root, submitGid, path: (sub, name) => (name === undefined ? join(root, sub) : join(root, sub, name)) }, findings };
}

/** One entry of new/: the raw name (bytes, any encoding), a printable name and its owner. */
export interface NewEntry {
  raw: Buffer;
  name: string;
  uid: number;
  ino: number;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });
const lossyUtf8 = new TextDecoder('utf-8');

/** A file name as text: valid UTF-8 as is, anything else with "?" for the bad bytes; control characters become "?". */
export function printableName(raw: Buffer): { name: string; valid: boolean } {
  let name: string;
  let valid = true;
  try {
    name = strictUtf8.decode(raw);
  } catch {
    valid = false;
    name = lossyUtf8.decode(raw).replace(/\uFFFD/g, '?');
  }
  // eslint-disable-next-line no-control-regex -- control characters are exactly what we replace
  return { name: name.replace(/[\u0000-\u001f\u007f]/g, '?'), valid };
}

/**
 * Entries waiting in new/ with their owner (one lstat per entry not seen before, so intake can take
 * turns per submitter and re-listing a flooded new/ stays cheap). `known` (raw name in hex → entry)
 * carries owners across calls; names that are gone are dropped from it. Dot files are a producer's
 * business and skipped; an entry that vanished meanwhile is left out. The owner only orders the
 * turns: identity is taken from the open descriptor when the file is read.
 */
export async function listNew(md: Maildir, known: Map<string, NewEntry> = new Map()): Promise<NewEntry[]> {
  const raws = (await readdir(md.path('new'), { encoding: 'buffer' })).filter((n) => n[0] !== 0x2e);
  const out: NewEntry[] = [];
  const seen = new Set<string>();
  const fresh: Buffer[] = [];
  for (const raw of raws) {
    const key = raw.toString('hex');
    seen.add(key);
    const k = known.get(key);
    if (k) out.push(k);
    else fresh.push(raw);
  }
  for (const key of known.keys()) if (!seen.has(key)) known.delete(key);
  const dir = Buffer.from(`${md.path('new')}/`);
  for (let i = 0; i < fresh.length; i += 256) {
    const chunk = fresh.slice(i, i + 256);
    const stats = await Promise.all(chunk.map((r) => lstat(Buffer.concat([dir, r])).catch(() => undefined)));
    chunk.forEach((raw, j) => {
      const st = stats[j];
      if (!st) return;
      const e = { raw, name: printableName(raw).name, uid: st.uid, ino: st.ino };
      known.set(raw.toString('hex'), e);
      out.push(e);
    });
  }
  return out.sort((a, b) => Buffer.compare(a.raw, b.raw));
}

/** Files left in cur/ (claimed earlier, e.g. before a crash). The agent names them: always UTF-8. */
export async function listCur(md: Maildir): Promise<string[]> {
  return (await readdir(md.path('cur'))).filter((n) => !n.startsWith('.')).sort();
}

export type ClaimOutcome = { ok: true; cur: string } | { ok: false; gone: true } | { ok: false; gone: false; err: NodeJS.ErrnoException };

/**
 * Claims new/<name> by renaming it to cur/<ms>.<seq>.<name> (unique, so nothing in cur/ is ever
 * overwritten, and stable across restarts; an undecodable name is stored printable). A file that is
 * gone (claimed by someone else, withdrawn) gives gone; anything else the kernel refuses (e.g. a
 * directory of another user: moving it needs write access to it) is returned, never thrown, so one
 * entry cannot stop the scan.
 */
export async function claim(md: Maildir, entry: Pick<NewEntry, 'raw' | 'name'>, nowMs: number, seq: number): Promise<ClaimOutcome> {
  const target = truncateBytes(`${nowMs}.${seq}.${entry.name.replace(/\//g, '?')}`, 250);
  try {
    await rename(Buffer.concat([Buffer.from(`${md.path('new')}/`), entry.raw]), md.path('cur', target));
    return { ok: true, cur: target };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { ok: false, gone: true };
    return { ok: false, gone: false, err: err as NodeJS.ErrnoException };
  }
}

/** The name a file had in new/, from its cur/ name. */
export function originalName(curName: string): string {
  return curName.replace(/^\d+\.\d+\./, '');
}

/** The `<ms>.<seq>` claim token of a cur/ name (unique per claimed file). */
export function claimToken(curName: string): string | undefined {
  return /^(\d+\.\d+)\./.exec(curName)?.[1];
}

function truncateBytes(s: string, max: number): string {
  if (Buffer.byteLength(s) <= max) return s;
  let out = '';
  for (const ch of s) {
    if (Buffer.byteLength(out + ch) > max) break;
    out += ch;
  }
  return out;
}

export type ReadOutcome =
  | { ok: true; bytes: Buffer; uid: number; mtimeMs: number }
  | { ok: false; reason: string; uid: number | null; transient?: boolean };

/**
 * Reads a claimed file through one descriptor: lstat first (a symlink, FIFO, socket or device is
 * never opened), then open with O_NOFOLLOW|O_NONBLOCK and fstat the descriptor: it must be the same
 * regular file with exactly one link (a second link could be someone else's file: the owner would
 * not be the submitter). At most 64 KiB + 1 byte is read, so a huge file costs nothing.
 */
export async function readClaimed(md: Maildir, name: string): Promise<ReadOutcome> {
  const file = md.path('cur', name);
  const st = await lstat(file);
  if (st.isSymbolicLink()) return { ok: false, reason: 'a symbolic link, not a regular file (links are never followed)', uid: st.uid };
  if (st.isDirectory()) return { ok: false, reason: 'a directory, not a regular file', uid: st.uid };
  if (!st.isFile()) return { ok: false, reason: `not a regular file (${kindOf(st)})`, uid: st.uid };
  if (st.size > MAX_REQUEST_BYTES) return { ok: false, reason: `file is ${st.size} bytes; requests are limited to ${MAX_REQUEST_BYTES} bytes (64 KiB)`, uid: st.uid };
  let fh;
  try {
    fh = await open(file, C.O_RDONLY | C.O_NOFOLLOW | C.O_NONBLOCK | C.O_NOCTTY);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EACCES' || code === 'EPERM') return { ok: false, reason: `the agent may not read it (mode ${(st.mode & 0o777).toString(8)}); make it readable to the submit group`, uid: st.uid };
    if (code === 'ELOOP' || code === 'ENXIO') return { ok: false, reason: 'not a regular file (replaced while being read)', uid: st.uid };
    throw err;
  }
  try {
    const fst = await fh.stat();
    if (!fst.isFile() || fst.ino !== st.ino || fst.dev !== st.dev) return { ok: false, reason: 'the file was replaced while being read', uid: fst.uid };
    if (fst.nlink !== 1) return { ok: false, reason: `the file has ${fst.nlink} hard links; a request must have exactly one (a link to someone else's file would be submitted in their name)`, uid: fst.uid };
    const buf = Buffer.alloc(MAX_REQUEST_BYTES + 1);
    let len = 0;
    for (;;) {
      const { bytesRead } = await fh.read(buf, len, buf.length - len, null);
      if (bytesRead === 0) break;
      len += bytesRead;
      if (len > MAX_REQUEST_BYTES) return { ok: false, reason: `file is larger than ${MAX_REQUEST_BYTES} bytes (64 KiB)`, uid: fst.uid };
    }
    return { ok: true, bytes: buf.subarray(0, len), uid: fst.uid, mtimeMs: fst.mtimeMs };
  } finally {
    await fh.close();
  }
}

function kindOf(st: { isFIFO(): boolean; isSocket(): boolean; isBlockDevice(): boolean; isCharacterDevice(): boolean }): string {
  if (st.isFIFO()) return 'a FIFO';
  if (st.isSocket()) return 'a socket';
  if (st.isBlockDevice() || st.isCharacterDevice()) return 'a device';
  return 'unknown type';
}

/**
 * Removes a claimed file after its outcome was written (cur/ is the agent's: unlink never follows a
 * link). A directory someone dropped is not deleted with its contents: it is moved aside into rejected/.
 */
export async function removeClaimed(md: Maildir, name: string): Promise<void> {
  const p = md.path('cur', name);
  const st = await lstat(p).catch(() => undefined);
  if (!st) return;
  if (st.isDirectory()) await rename(p, md.path('rejected', `${name}.dropped-directory`));
  else await unlink(p).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'ENOENT') throw err;
  });
}

/**
 * The k-th candidate result name for a base: `<base>.json`, then `<base>~<token>.json` with the
 * request's unique claim token (so a duplicate id costs one lookup, not one per earlier duplicate),
 * then `<base>~<token>-<k>.json`. '~' cannot occur in an id, so these never collide with another id.
 */
export function resultCandidate(base: string, token: string, k: number): string {
  if (k === 0) return `${base}.json`;
  return k === 1 ? `${base}~${token}.json` : `${base}~${token}-${k}.json`;
}

/** The first free candidate name, starting at `from` (one lstat per try; normally one or two). */
export async function resultName(md: Maildir, outcome: ActionOutcome, base: string, token: string, from = 0): Promise<{ name: string; k: number }> {
  for (let k = from; ; k++) {
    const name = resultCandidate(base, token, k);
    if (!(await exists(md.path(outcome, name)))) return { name, k };
  }
}

/**
 * Writes a result file atomically and without overwriting: staged in the agent's private .staging/
 * (created with O_EXCL|O_NOFOLLOW, fsynced), hard-linked into its outcome folder (link fails if
 * the name exists, unlike rename) and the staging name removed. False when the name was taken.
 */
export async function writeResultFile(md: Maildir, outcome: ActionOutcome, name: string, content: unknown): Promise<boolean> {
  const staged = md.path(STAGING, `${process.pid}-${Math.random().toString(36).slice(2)}-${name}`);
  const fh = await open(staged, C.O_WRONLY | C.O_CREAT | C.O_EXCL | C.O_NOFOLLOW, 0o644);
  try {
    await fh.writeFile(`${JSON.stringify(content, null, 2)}\n`);
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    await link(staged, md.path(outcome, name));
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  } finally {
    await unlink(staged).catch(() => undefined);
  }
}

/** True when a file (of any kind) exists at inbox-relative path `rel`. */
export async function existsIn(md: Maildir, rel: string): Promise<boolean> {
  return exists(join(md.root, rel));
}

/**
 * Removes tmp/ entries older than maxAgeMs (abandoned producer writes). tmp/ is shared, so nothing
 * is deleted recursively: files and links are unlinked (unlink acts on the entry in tmp/ itself, so
 * a swapped path component cannot redirect it), directories only when empty. Returns how many.
 */
export async function cleanTmp(md: Maildir, nowMs: number, maxAgeMs: number): Promise<number> {
  let removed = 0;
  const dir = Buffer.from(`${md.path('tmp')}/`);
  for (const raw of await readdir(md.path('tmp'), { encoding: 'buffer' })) {
    const p = Buffer.concat([dir, raw]);
    try {
      const st = await lstat(p);
      if (nowMs - st.mtimeMs <= maxAgeMs) continue;
      if (st.isDirectory()) await rmdir(p);
      else await unlink(p);
      removed++;
    } catch {
      // gone meanwhile, swapped for something else, or a non-empty directory: left alone
    }
  }
  return removed;
}

/**
 * A safe result base name for a row id that is not a request id ("_<cur name>"): unicode and odd
 * characters become "_", the length is bounded. It starts with "_", which no valid id can.
 */
export function safeBase(rowId: string): string {
  return rowId.normalize('NFKD').replace(/[\u0300-\u036f]/g, '').replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 200);
}

async function exists(p: string): Promise<boolean> {
  try {
    await lstat(p);
    return true;
  } catch {
    return false;
  }
}
