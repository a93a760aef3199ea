// The ONLY module that writes the site output directory.
//
// Layout (nginx root = <outDir>/current):
//   current                 -> releases/<n>           (symlink, swapped by rename: atomic)
//   releases/<n>/…          top-level files (hard links to the previous release when unchanged)
//   releases/<n>/g/<c>/<b>  -> ../../../../trees/<c>/<b>.<v>   (one symlink per guest bucket)
//   trees/<c>/<b>.<v>/…     one immutable version of a bucket of guest files
// A release is never modified once `current` points at it, so nginx never serves a mix of two
// builds. Buckets keep the per-cycle cost proportional to what changed: an untouched bucket is one
// symlink, not a hundred hard links.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { PmiError, errorMessage } from '../errors.ts';

/** Marks an entry whose content is whatever the previous release has (not re-rendered this build). */
export const KEEP: unique symbol = Symbol('keep');
export type Entry = string | Buffer | typeof KEEP;

/** The file-system calls the publisher makes; tests inject a failing one. */
export interface SiteWriter {
  /** May be async: the publisher runs several writes at once (3× faster on a slow page cache). */
  writeFile(path: string, data: string | Buffer): void | Promise<void>;
  link(existing: string, path: string): void;
  symlink(target: string, path: string): void;
  rename(from: string, to: string): void;
  mkdir(path: string): void;
  rm(path: string): void;
}

export const fsWriter: SiteWriter = {
  writeFile: (p, d) => writeFile(p, d),
  link: (a, b) => fs.linkSync(a, b),
  symlink: (t, p) => fs.symlinkSync(t, p),
  rename: (a, b) => fs.renameSync(a, b),
  mkdir: (p) => fs.mkdirSync(p, { recursive: true }),
  rm: (p) => fs.rmSync(p, { recursive: true, force: true }),
};

export interface PublishResult {
  files: number;
  written: number;
  unchanged: number;
  bytes: number;
  release: number;
}

interface UnitState {
  version: number;
  files: Map<string, string>;
}

interface Manifest {
  release: number;
  root: Map<string, string>;
  units: Map<string, UnitState>;
}

/** "g/<cluster>/<bucket>/file" → unit "g/<cluster>/<bucket>"; anything else is the root unit "". */
export function unitOf(path: string): { unit: string; name: string } {
  if (path.startsWith('g/')) {
    const a = path.indexOf('/', 2);
    const b = a === -1 ? -1 : path.indexOf('/', a + 1);
    if (b !== -1) return { unit: path.slice(0, b), name: path.slice(b + 1) };
  }
  return { unit: '', name: path };
}

const hashOf = (data: string | Buffer) => createHash('sha1').update(data).digest('base64url');

export interface Publisher {
  /** Writes a new release made of `entries` (full set of paths; KEEP = as before) and switches to it. */
  publish(entries: Map<string, Entry>): Promise<PublishResult>;
  /** What `publish` would write, without touching the disk. */
  plan(entries: Map<string, Entry>): PublishResult;
  /** Whether a path exists in the live release (so KEEP is allowed for it). */
  has(path: string): boolean;
  /** The directory nginx serves. */
  readonly currentDir: string;
}

/** Creates the publisher for outDir, reading back the live release (if any) to know what is on disk. */
export function createPublisher(opts: { outDir: string; writer?: SiteWriter; keepReleases?: number }): Publisher {
  const { outDir } = opts;
  const writer = opts.writer ?? fsWriter;
  const currentDir = join(outDir, 'current');
  const manifest = readManifest(outDir);

  function has(path: string): boolean {
    const { unit, name } = unitOf(path);
    return unit === '' ? manifest.root.has(name) : (manifest.units.get(unit)?.files.has(name) ?? false);
  }

  function group(entries: Map<string, Entry>): Map<string, Map<string, Entry>> {
    const units = new Map<string, Map<string, Entry>>([['', new Map()]]);
    for (const [path, entry] of entries) {
      const { unit, name } = unitOf(path);
      let m = units.get(unit);
      if (!m) units.set(unit, (m = new Map()));
      m.set(name, entry);
      if (entry === KEEP && !has(path)) throw new Error(`publish: KEEP for ${path}, which the live release does not have`);
    }
    return units;
  }

  function diffUnit(prev: Map<string, string> | undefined, files: Map<string, Entry>) {
    const next = new Map<string, string>();
    const toWrite: Array<[string, string | Buffer]> = [];
    let unchanged = 0;
    let bytes = 0;
    for (const [name, entry] of files) {
      if (entry === KEEP) {
        next.set(name, prev!.get(name)!);
        unchanged++;
        continue;
      }
      const h = hashOf(entry);
      next.set(name, h);
      if (prev?.get(name) === h) unchanged++;
      else {
        toWrite.push([name, entry]);
        bytes += typeof entry === 'string' ? Buffer.byteLength(entry) : entry.length;
      }
    }
    const same = toWrite.length === 0 && prev !== undefined && prev.size === next.size;
    return { next, toWrite, unchanged, bytes, same };
  }

  function plan(entries: Map<string, Entry>): PublishResult {
    const r: PublishResult = { files: entries.size, written: 0, unchanged: 0, bytes: 0, release: manifest.release + 1 };
    for (const [unit, files] of group(entries)) {
      const prev = unit === '' ? manifest.root : manifest.units.get(unit)?.files;
      const d = diffUnit(prev, files);
      r.written += d.toWrite.length;
      r.unchanged += d.unchanged;
      r.bytes += d.bytes;
    }
    return r;
  }

  function writeTree(dir: string, prevDir: string | null, d: ReturnType<typeof diffUnit>, made: Set<string>, jobs: Array<() => void | Promise<void>>) {
    const changed = new Set(d.toWrite.map(([n]) => n));
    const ensure = (p: string) => {
      const parent = dirname(p);
      if (!made.has(parent)) {
        writer.mkdir(parent);
        made.add(parent);
      }
    };
    for (const [name, data] of d.toWrite) {
      const p = join(dir, name);
      ensure(p);
      jobs.push(() => writer.writeFile(p, data));
    }
    for (const name of d.next.keys()) {
      if (changed.has(name)) continue;
      const p = join(dir, name);
      ensure(p);
      writer.link(join(prevDir!, name), p);
    }
  }

  async function publish(entries: Map<string, Entry>): Promise<PublishResult> {
    const units = group(entries);
    const n = manifest.release + 1;
    const releaseName = String(n).padStart(8, '0');
    const releaseDir = join(outDir, 'releases', releaseName);
    const prevReleaseDir = manifest.release > 0 ? join(outDir, 'releases', String(manifest.release).padStart(8, '0')) : null;
    const createdTrees: string[] = [];
    const result: PublishResult = { files: entries.size, written: 0, unchanged: 0, bytes: 0, release: n };
    const nextUnits = new Map<string, UnitState>();
    const made = new Set<string>();
    const jobs: Array<() => void | Promise<void>> = [];
    try {
      writer.rm(releaseDir);
      writer.mkdir(releaseDir);
      made.add(releaseDir);
      for (const [unit, files] of units) {
        if (unit === '') {
          const d = diffUnit(manifest.root, files);
          writeTree(releaseDir, prevReleaseDir, d, made, jobs);
          result.written += d.toWrite.length;
          result.unchanged += d.unchanged;
          result.bytes += d.bytes;
          nextUnits.set('', { version: n, files: d.next });
          continue;
        }
        const prev = manifest.units.get(unit);
        const d = diffUnit(prev?.files, files);
        result.written += d.toWrite.length;
        result.unchanged += d.unchanged;
        result.bytes += d.bytes;
        let version = prev?.version ?? n;
        if (!d.same) {
          version = n;
          const dir = treeDir(outDir, unit, n);
          writer.rm(dir);
          createdTrees.push(dir);
          writer.mkdir(dir);
          made.add(dir);
          writeTree(dir, prev ? treeDir(outDir, unit, prev.version) : null, d, made, jobs);
        }
        nextUnits.set(unit, { version, files: d.next });
        const link = join(releaseDir, unit);
        const parent = dirname(link);
        if (!made.has(parent)) {
          writer.mkdir(parent);
          made.add(parent);
        }
        writer.symlink(relative(parent, treeDir(outDir, unit, version)), link);
      }
      await runPool(jobs, WRITE_CONCURRENCY);
      const tmp = join(outDir, `current.tmp-${n}`);
      writer.rm(tmp);
      writer.symlink(join('releases', releaseName), tmp);
      writer.rename(tmp, currentDir);
    } catch (err) {
      // Leave the live release alone; remove what this attempt created. Cleanup errors are secondary.
      for (const p of [releaseDir, ...createdTrees]) {
        try {
          fs.rmSync(p, { recursive: true, force: true });
        } catch {
          /* the next build's rm() retries */
        }
      }
      throw new PmiError('SITE_BUILD_FAILED', `publishing release ${n} failed: ${errorMessage(err)}`, { cause: err });
    }
    const prevUnits = manifest.units;
    manifest.release = n;
    manifest.root = nextUnits.get('')!.files;
    nextUnits.delete('');
    manifest.units = nextUnits;
    try {
      collectGarbage(prevUnits, manifest.release - 1);
    } catch {
      // The new release is live; leftovers are removed by the next build's collection.
    }
    return result;
  }

  /** Removes releases older than the previous one and tree versions no kept release points at. */
  function collectGarbage(prevUnits: Map<string, UnitState>, keepFrom: number) {
    const relRoot = join(outDir, 'releases');
    for (const name of safeReaddir(relRoot)) {
      const num = Number(name);
      if (!Number.isFinite(num) || num < keepFrom) writer.rm(join(relRoot, name));
    }
    const live = new Set<string>();
    for (const [unit, s] of manifest.units) live.add(treeDir(outDir, unit, s.version));
    for (const [unit, s] of prevUnits) live.add(treeDir(outDir, unit, s.version));
    const treesRoot = join(outDir, 'trees');
    for (const c of safeReaddir(treesRoot)) {
      for (const v of safeReaddir(join(treesRoot, c))) {
        const p = join(treesRoot, c, v);
        if (!live.has(p)) writer.rm(p);
      }
    }
    // Units of the release before the previous one may still be in `live` via prevUnits; they go next time.
  }

  return { publish, plan, has, currentDir };
}

const WRITE_CONCURRENCY = 8;

/** Runs the jobs, at most n at a time; the first error is thrown once all started jobs settled. */
async function runPool(jobs: Array<() => void | Promise<void>>, n: number): Promise<void> {
  let next = 0;
  let failure: { err: unknown } | null = null;
  const worker = async () => {
    while (next < jobs.length && !failure) {
      const job = jobs[next++]!;
      try {
        await job();
      } catch (err) {
        failure ??= { err };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(n, jobs.length) }, worker));
  if (failure) throw (failure as { err: unknown }).err;
}

function treeDir(outDir: string, unit: string, version: number): string {
  const [, c, b] = unit.split('/');
  return join(outDir, 'trees', c!, `${b}.${String(version).padStart(8, '0')}`);
}

function safeReaddir(dir: string): string[] {
  try {
    return fs.readdirSync(dir);
  } catch {
    return [];
  }
}

/** Rebuilds the in-memory manifest from the live release on disk (hashing its files). */
function readManifest(outDir: string): Manifest {
  const m: Manifest = { release: 0, root: new Map(), units: new Map() };
  let target: string;
  try {
    target = fs.readlinkSync(join(outDir, 'current'));
  } catch {
    // No live release yet: start numbering after any leftover release directories.
    for (const name of safeReaddir(join(outDir, 'releases'))) m.release = Math.max(m.release, Number(name) || 0);
    return m;
  }
  const releaseDir = join(outDir, target);
  m.release = Number(target.split('/').pop()) || 0;
  for (const name of safeReaddir(join(outDir, 'releases'))) m.release = Math.max(m.release, Number(name) || 0);
  const walk = (dir: string, prefix: string) => {
    for (const ent of fs.readdirSync(dir, { withFileTypes: true })) {
      const rel = prefix ? `${prefix}/${ent.name}` : ent.name;
      const full = join(dir, ent.name);
      if (ent.isSymbolicLink()) {
        const t = fs.readlinkSync(full);
        const version = Number(t.split('.').pop());
        const files = new Map<string, string>();
        const walkUnit = (d: string, p: string) => {
          for (const e of fs.readdirSync(d, { withFileTypes: true })) {
            const r = p ? `${p}/${e.name}` : e.name;
            if (e.isDirectory()) walkUnit(join(d, e.name), r);
            else files.set(r, hashOf(fs.readFileSync(join(d, e.name))));
          }
        };
        walkUnit(full, '');
        m.units.set(rel, { version, files });
      } else if (ent.isDirectory()) walk(full, rel);
      else m.root.set(rel, hashOf(fs.readFileSync(full)));
    }
  };
  walk(releaseDir, '');
  return m;
}
