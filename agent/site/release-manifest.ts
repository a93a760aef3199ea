// What the publisher knows of the live release: which files each unit (the root, or one guest
// bucket) holds, with their hashes (or sizes) where known, and the builder state persisted beside
// it; read back by listing the release, never by hashing it (a re-rendered file: sameContent).
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { join } from 'node:path';

/** A file's content hash; its size when this process wrote it new, unhashed; null while unknown (listed from disk). */
export type Hash = string | number | null;

export interface UnitState {
  version: number;
  files: Map<string, Hash>;
}

export interface Manifest {
  /** Highest release number on disk (new releases are numbered above it). */
  release: number;
  /** The release `current` points to (0: none). Unchanged files are linked from it only: a
   * higher-numbered directory may be the half-written leftover of a crash. */
  live: number;
  /** Every unit of the live release; the root unit "" has the release's number as its version. */
  units: Map<string, UnitState>;
}

/** Units (one immutable tree each, a symlink in a release): a guest bucket, a cluster's node tier files (hourly). */
const UNIT_ROOTS = ['g/', 'data/tiers/'];

/** "g/<cluster>/<bucket>/file" → unit "g/<cluster>/<bucket>", "data/tiers/<cluster>/file" → "data/tiers/<cluster>"; else the root unit "". */
export function unitOf(path: string): { unit: string; name: string } {
  const root = UNIT_ROOTS.find((r) => path.startsWith(r));
  let b = root === undefined ? -1 : path.indexOf('/', root.length);
  if (root === 'g/' && b !== -1) b = path.indexOf('/', b + 1);
  return b === -1 ? { unit: '', name: path } : { unit: path.slice(0, b), name: path.slice(b + 1) };
}

export const hashOf = (data: string | Buffer) => createHash('sha1').update(data).digest('base64url');

/** Whether the live file at `path`, known as `was`, holds `data` (hash `h`): read back only when neither its hash nor its size tells. */
export function sameContent(was: Hash, path: string, data: string | Buffer, h: string): boolean {
  const size = typeof data === 'string' ? Buffer.byteLength(data) : data.length;
  if (typeof was === 'string' || (was !== null && was !== size)) return was === h;
  try {
    return (was !== null || fs.statSync(path).size === size) && hashOf(fs.readFileSync(path)) === h; // unknown (listed at start): another size differs, unread
  } catch {
    return false; // unreadable: rewritten
  }
}

export const releaseName = (n: number) => String(n).padStart(8, '0');

/** The directory of a version of a unit: the release's own for the root unit, else an immutable tree. */
export function unitDir(outDir: string, unit: string, version: number): string {
  if (unit === '') return join(outDir, 'releases', releaseName(version));
  // g/<c>/<b> → trees/<c>/<b>.<v>; data/tiers/<c> → trees/<c>/tiers.<v> (bucket names end in "xx")
  const s = unit.split('/');
  const [c, b] = s[0] === 'g' ? [s[1], s[2]] : [s[2], s[1]];
  return join(outDir, 'trees', c!, `${b}.${releaseName(version)}`);
}

export function safeReaddir(dir: string): string[] {
  try {
    return fs.readdirSync(dir);
  } catch {
    return [];
  }
}
/**
 * The live release as on disk; when it cannot be read back (a dangling `current`, a deleted
 * tree) every file is written anew instead of failing every later build.
 */
export function readManifestOrRebuild(outDir: string): Manifest {
  const m: Manifest = { release: 0, live: 0, units: new Map() };
  // New releases are numbered after any release directory, even a crash's half-written leftover.
  for (const name of safeReaddir(join(outDir, 'releases'))) m.release = Math.max(m.release, Number(name) || 0);
  let target: string;
  try {
    target = fs.readlinkSync(join(outDir, 'current'));
  } catch {
    return m; // no live release yet
  }
  try {
    const root = new Map<string, Hash>();
    const walk = (dir: string, prefix: string, into: Map<string, Hash>) => {
      for (const ent of fs.readdirSync(dir, { withFileTypes: true })) {
        const rel = prefix ? `${prefix}/${ent.name}` : ent.name;
        if (ent.isFile()) into.set(rel, null); // most entries: no path joined for them (13,000 at 10,000 guests)
        else if (ent.isSymbolicLink() && into === root) {
          const [files, full] = [new Map<string, Hash>(), join(dir, ent.name)];
          walk(full, '', files);
          m.units.set(rel, { version: Number(fs.readlinkSync(full).split('.').pop()), files });
        } else if (ent.isDirectory()) walk(join(dir, ent.name), rel, into);
        else into.set(rel, null);
      }
    };
    walk(join(outDir, target), '', root);
    m.live = Number(target.split('/').pop()) || 0;
    m.units.set('', { version: m.live, files: root });
  } catch {
    m.units = new Map();
  }
  return m;
}

export const STATE_VERSION = 1;

/**
 * The builder state persisted with the live release. Missing or unreadable state (and a release
 * that could not be read back) yields undefined with a warning: the builder then does one full build.
 */
export function readState(outDir: string, m: Manifest, warn?: (msg: string, err?: unknown) => void, validate?: (state: unknown) => string | undefined): unknown {
  if (m.live === 0) return undefined;
  const file = join(outDir, 'state', `${releaseName(m.live)}.json`);
  try {
    const doc = JSON.parse(fs.readFileSync(file, 'utf8')) as { v?: unknown; release?: unknown; state?: unknown };
    if (doc.v !== STATE_VERSION || doc.release !== m.live || !('state' in doc)) throw new Error(`${file}: not a version ${STATE_VERSION} state of release ${m.live}`);
    const problem = doc.state === null ? undefined : validate?.(doc.state);
    if (problem) throw new Error(`${file}: ${problem}`);
    return doc.state;
  } catch (err) {
    warn?.(`site state of release ${m.live} missing or unreadable (${file}): one full build follows`, err);
    return undefined;
  }
}
