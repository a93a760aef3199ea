// The inbox directory protocol (Maildir style): producers write tmp/ and rename into new/; we claim
// by renaming new/ → cur/; results land in done/, failed/ or rejected/, written aside then renamed.
import { constants as C } from 'node:fs';
import { link, lstat, mkdir, open, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { ActionOutcome } from '../store/schema.ts';
import { MAX_REQUEST_BYTES } from './parse-action.ts';

export const SUBDIRS = ['tmp', 'new', 'cur', 'done', 'failed', 'rejected'] as const;
export type Subdir = (typeof SUBDIRS)[number];

export interface Maildir {
  root: string;
  path(sub: Subdir, name?: string): string;
}

/** Creates the inbox and its sub-directories (mode 0770 for new ones: producers need write access). */
export async function openMaildir(root: string): Promise<Maildir> {
  for (const d of SUBDIRS) await mkdir(join(root, d), { recursive: true, mode: 0o770 });
  return { root, path: (sub, name) => (name === undefined ? join(root, sub) : join(root, sub, name)) };
}

/** File names waiting in new/ (dot files are a producer's business and skipped). */
export async function listNew(md: Maildir): Promise<string[]> {
  return (await readdir(md.path('new'))).filter((n) => !n.startsWith('.')).sort();
}

/** Files left in cur/ (claimed earlier, e.g. before a crash). */
export async function listCur(md: Maildir): Promise<string[]> {
  return (await readdir(md.path('cur'))).filter((n) => !n.startsWith('.')).sort();
}

/**
 * Claims new/<name> by renaming it to cur/<ms>.<seq>.<name> (unique, so nothing in cur/ is ever
 * overwritten, and stable across restarts). Returns the cur/ name, or undefined when the file is
 * gone (someone else claimed it).
 */
export async function claim(md: Maildir, name: string, nowMs: number, seq: number): Promise<string | undefined> {
  const target = truncateBytes(`${nowMs}.${seq}.${name}`, 250);
  try {
    await rename(md.path('new', name), md.path('cur', target));
    return target;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** The name a file had in new/, from its cur/ name. */
export function originalName(curName: string): string {
  return curName.replace(/^\d+\.\d+\./, '');
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
  | { ok: false; reason: string; uid: number | null };

/**
 * Reads a claimed file without following links: refuses symlinks (lstat), anything that is not a
 * regular file, and files over 64 KiB (read at most one byte more, so a huge file costs nothing).
 */
export async function readClaimed(md: Maildir, name: string): Promise<ReadOutcome> {
  const file = md.path('cur', name);
  const st = await lstat(file);
  if (st.isSymbolicLink()) return { ok: false, reason: 'a symbolic link, not a regular file (links are never followed)', uid: st.uid };
  if (!st.isFile()) return { ok: false, reason: 'not a regular file', uid: st.uid };
  if (st.size > MAX_REQUEST_BYTES) return { ok: false, reason: `file is ${st.size} bytes; requests are limited to ${MAX_REQUEST_BYTES} bytes (64 KiB)`, uid: st.uid };
  const fh = await open(file, C.O_RDONLY | C.O_NOFOLLOW | C.O_NONBLOCK);
  try {
    const buf = Buffer.alloc(MAX_REQUEST_BYTES + 1);
    let len = 0;
    for (;;) {
      const { bytesRead } = await fh.read(buf, len, buf.length - len, null);
      if (bytesRead === 0) break;
      len += bytesRead;
      if (len > MAX_REQUEST_BYTES) return { ok: false, reason: `file is larger than ${MAX_REQUEST_BYTES} bytes (64 KiB)`, uid: st.uid };
    }
    return { ok: true, bytes: buf.subarray(0, len), uid: st.uid, mtimeMs: st.mtimeMs };
  } finally {
    await fh.close();
  }
}

/**
 * Removes a claimed file after its outcome was written (a symlink is unlinked, never followed). A
 * directory someone dropped is not deleted with its contents: it is moved aside into rejected/.
 */
export async function removeClaimed(md: Maildir, name: string): Promise<void> {
  const p = md.path('cur', name);
  const st = await lstat(p).catch(() => undefined);
  if (!st) return;
  if (st.isDirectory()) await rename(p, md.path('rejected', `${name}.dropped-directory`));
  else await rm(p, { force: true });
}

/** Result file name for an id or a sanitized name; a suffix keeps an existing result untouched. */
export async function resultName(md: Maildir, outcome: ActionOutcome, base: string): Promise<string> {
  let name = `${base}.json`;
  // '~' cannot occur in an id, so <id>~2.json never collides with another request's <id>.json.
  for (let n = 2; await exists(md.path(outcome, name)); n++) name = `${base}~${n}.json`;
  return name;
}

/**
 * Writes a result file atomically and without overwriting: into tmp/ (fsync), then hard-linked
 * into its outcome folder (link fails if the name exists, unlike rename) and the tmp name removed.
 * Returns false when the name was taken meanwhile.
 */
export async function writeResultFile(md: Maildir, outcome: ActionOutcome, name: string, content: unknown): Promise<boolean> {
  const tmp = md.path('tmp', `.result-${process.pid}-${Math.random().toString(36).slice(2)}-${name}`);
  const fh = await open(tmp, 'w', 0o644);
  try {
    await fh.writeFile(`${JSON.stringify(content, null, 2)}\n`);
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    await link(tmp, md.path(outcome, name));
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  } finally {
    await rm(tmp, { force: true });
  }
}

/** True when a file (of any kind) exists at inbox-relative path `rel`. */
export async function existsIn(md: Maildir, rel: string): Promise<boolean> {
  return exists(join(md.root, rel));
}

/** Deletes files in tmp/ older than maxAgeMs (abandoned producer writes). Returns how many. */
export async function cleanTmp(md: Maildir, nowMs: number, maxAgeMs: number): Promise<number> {
  let removed = 0;
  for (const n of await readdir(md.path('tmp'))) {
    try {
      const st = await lstat(md.path('tmp', n));
      if (nowMs - st.mtimeMs > maxAgeMs) {
        await rm(md.path('tmp', n), { recursive: true, force: true });
        removed++;
      }
    } catch {
      // gone meanwhile: fine
    }
  }
  return removed;
}

/** True when a result for this id already exists in done/, failed/ or rejected/. */
export async function resultExists(md: Maildir, id: string): Promise<ActionOutcome | undefined> {
  for (const o of ['done', 'failed', 'rejected'] as const) if (await exists(md.path(o, `${id}.json`))) return o;
  return undefined;
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

