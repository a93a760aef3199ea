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
//
// Files are handed over while the build is still rendering (begin → put/flushUnit → commit) and
// written at once through fs/promises, a few at a time: libuv's thread pool does the file
// system's work, so writing overlaps with rendering without threads of our own. Files inside a
// brand-new release or tree directory are written in place (no temp file + rename): nothing
// serves them until the release as a whole is switched in.
//
// Persisted state: the builder's state is written with each release (`state/<n>.json`, outside
// what nginx serves) and handed back at start. What is on disk is read back by listing the live
// release, never by hashing it: a file's hash is taken from disk only when a build re-renders it.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { link, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { PmiError, errorMessage } from '../errors.ts';

/** Marks an entry whose content is whatever the previous release has (not re-rendered this build). */
export const KEEP: unique symbol = Symbol('keep');
export type Entry = string | Buffer | typeof KEEP;

/** The file-system calls the publisher makes; tests inject a failing one. */
export interface SiteWriter {
  /** May be async: the publisher runs several writes at once. */
  writeFile(path: string, data: string | Buffer): void | Promise<void>;
  link(existing: string, path: string): void | Promise<void>;
  symlink(target: string, path: string): void;
  rename(from: string, to: string): void;
  mkdir(path: string): void;
  rm(path: string): void;
  /** Removes a dropped release or tree in the background. */
  remove(path: string): Promise<void>;
}

export const fsWriter: SiteWriter = {
  writeFile: (p, d) => writeFile(p, d),
  link: (a, b) => link(a, b),
  symlink: (t, p) => fs.symlinkSync(t, p),
  rename: (a, b) => fs.renameSync(a, b),
  mkdir: (p) => fs.mkdirSync(p, { recursive: true }),
  rm: (p) => fs.rmSync(p, { recursive: true, force: true }),
  remove: (p) => rm(p, { recursive: true, force: true }),
};

export interface PublishResult {
  files: number;
  written: number;
  unchanged: number;
  bytes: number;
  release: number;
  /** Bytes of the persisted state written with the release (0: none). */
  stateBytes?: number;
}

/** A file's content hash, or null while unknown (written by an earlier build or process, not compared since). */
type Hash = string | null;

interface UnitState {
  version: number;
  files: Map<string, Hash>;
}

/** A unit of the release being written. */
interface OpenUnit {
  unit: string;
  prev: UnitState | undefined;
  /** Hash by name of every file handed in so far. */
  next: Map<string, Hash>;
  /** The new version's directory, once a file differs from the live version (null: none yet). */
  dir: string | null;
  /** Unchanged files seen before the unit was known to change: linked when it is. */
  linkLater: string[];
}

interface Manifest {
  /** Highest release number on disk (new releases are numbered above it). */
  release: number;
  /** The release `current` points to (0: none). Unchanged files are linked from it only: a
   * higher-numbered directory may be the half-written leftover of a crash. */
  live: number;
  root: Map<string, Hash>;
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

/** The hash of a file of the live release (null when it cannot be read: then it is rewritten). */
function hashFile(path: string): Hash {
  try {
    return hashOf(fs.readFileSync(path));
  } catch {
    return null;
  }
}

/** One release being written: hand in files while rendering, then commit (switch) or abort. */
export interface ReleaseWriter {
  /** Adds a file. Root files are written (or linked) at once; guest-bucket files wait for flushUnit/commit. */
  put(path: string, entry: Entry): void;
  /** The bucket holding `path` is complete: write its tree now. */
  flushUnit(path: string): void;
  /** The bucket holding `path` is exactly as in the live release (one symlink, no per-file work). */
  keepUnit(path: string): void;
  /** Waits for every write, writes `state` (the builder's, JSON) beside the release, switches `current` to it. */
  commit(state?: unknown): Promise<PublishResult>;
  /** Drops the release (after a failed build); the live one stays. */
  abort(): Promise<void>;
}

export interface Publisher {
  /** Writes a new release made of `entries` (full set of paths; KEEP = as before) and switches to it. */
  publish(entries: Map<string, Entry>): Promise<PublishResult>;
  /** Starts a new release, written while files are handed in (one at a time). */
  begin(): Promise<ReleaseWriter>;
  /** What `publish` would write, without touching the disk. */
  plan(entries: Map<string, Entry>): PublishResult;
  /** Whether a path exists in the live release (so KEEP is allowed for it). */
  has(path: string): boolean;
  /** Resolves once the removal of old releases has finished (publish/commit already wait for it). */
  settled(): Promise<void>;
  /** The directory nginx serves. */
  readonly currentDir: string;
  /** The builder state persisted with the live release at start (undefined: none, or unreadable; null: the publisher was given none). */
  readonly loadedState: unknown;
}

/** Where a release's file operations go: started at once, a few at a time. */
interface OpSink {
  /** Queues a write; returns its size in bytes. */
  write(path: string, data: string | Buffer): number;
  link(existing: string, path: string): void;
  /** Sends what is buffered. */
  flush(): void;
  /** Resolves when every operation finished; rejects with the first failure. */
  settle(): Promise<void>;
}

/** Creates the publisher for outDir, reading back the live release (if any) to know what is on disk. */
export function createPublisher(opts: { outDir: string; writer?: SiteWriter; keepReleases?: number; warn?: (msg: string, err?: unknown) => void; validateState?: (state: unknown) => string | undefined }): Publisher {
  const { outDir } = opts;
  const writer = opts.writer ?? fsWriter;
  const currentDir = join(outDir, 'current');
  const manifest = readManifestOrRebuild(outDir);
  const loaded = readState(outDir, manifest, opts.warn, opts.validateState);
  if (loaded === undefined) {
    // Without its state the live release is not trusted to be what a build would keep: the next
    // build writes every file anew (and links nothing from it).
    manifest.root = new Map();
    manifest.units = new Map();
  }
  let background: Promise<void> = Promise.resolve();
  let open = false;

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
      if (entry === KEEP && !has(path)) throw keepError(path);
    }
    return units;
  }

  function diffUnit(prev: Map<string, Hash> | undefined, files: Map<string, Entry>, fileOf: (name: string) => string) {
    const next = new Map<string, Hash>();
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
      const was = prev?.get(name);
      if (was !== undefined && (was ?? hashFile(fileOf(name))) === h) unchanged++;
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
      const prevUnit = manifest.units.get(unit);
      const prev = unit === '' ? manifest.root : prevUnit?.files;
      const d = diffUnit(prev, files, (name) => (unit === '' ? join(currentDir, name) : join(treeDir(outDir, unit, prevUnit!.version), name)));
      r.written += d.toWrite.length;
      r.unchanged += d.unchanged;
      r.bytes += d.bytes;
    }
    return r;
  }

  /** Starts each operation at once, at most WRITE_CONCURRENCY at a time; settle() reports the first failure. */
  function sinkFor(): OpSink {
    const queue: Array<() => void | Promise<void>> = [];
    let head = 0;
    let running = 0;
    let failure: { err: unknown } | null = null;
    const waiters: Array<() => void> = [];
    const pump = () => {
      while (running < WRITE_CONCURRENCY && head < queue.length && !failure) {
        const job = queue[head]!;
        queue[head++] = NOOP; // let the content go once its write has started
        running++;
        Promise.resolve()
          .then(job)
          .catch((err: unknown) => {
            failure ??= { err };
          })
          .finally(() => {
            running--;
            pump();
            if (running === 0) for (const w of waiters.splice(0)) w();
          });
      }
    };
    const add = (job: () => void | Promise<void>) => {
      queue.push(job);
      pump();
    };
    return {
      write: (p, d) => {
        add(() => writer.writeFile(p, d));
        return typeof d === 'string' ? Buffer.byteLength(d) : d.length;
      },
      link: (a, b) => add(() => writer.link(a, b)),
      flush: () => {},
      settle: () =>
        new Promise<void>((resolve, reject) => {
          const done = () => (failure ? reject(failure.err) : resolve());
          if (running === 0) done();
          else waiters.push(done);
        }),
    };
  }

  async function begin(): Promise<ReleaseWriter> {
    if (open) throw new PmiError('SITE_BUILD_FAILED', 'publish: a release is already being written');
    // Old releases still being removed in the background: finish first (errors are retried below).
    await background.catch(() => {});
    open = true;
    const n = manifest.release + 1;
    const releaseName = String(n).padStart(8, '0');
    const releaseDir = join(outDir, 'releases', releaseName);
    const prevReleaseDir = manifest.live > 0 ? join(outDir, 'releases', String(manifest.live).padStart(8, '0')) : null;
    const createdTrees: string[] = [];
    const result: PublishResult = { files: 0, written: 0, unchanged: 0, bytes: 0, release: n };
    const nextRoot = new Map<string, Hash>();
    const nextUnits = new Map<string, UnitState>();
    /** Bucket units being handed in: files are written (or linked) as they arrive, not kept. */
    const openUnits = new Map<string, OpenUnit>();
    const made = new Set<string>();
    const sink = sinkFor();
    let done = false;
    const ensureDir = (dir: string) => {
      if (!made.has(dir)) {
        writer.mkdir(dir);
        made.add(dir);
      }
    };
    const fail = (err: unknown) => new PmiError('SITE_BUILD_FAILED', `publishing release ${n} failed: ${errorMessage(err)}`, { cause: err });

    try {
      writer.rm(releaseDir);
      writer.mkdir(releaseDir);
      made.add(releaseDir);
    } catch (err) {
      open = false;
      throw fail(err);
    }

    function putRoot(name: string, entry: Entry) {
      const prev = manifest.root.get(name);
      if (nextRoot.has(name)) throw new Error(`publish: ${name} handed in twice`);
      const p = join(releaseDir, name);
      ensureDir(dirname(p));
      if (entry === KEEP) {
        nextRoot.set(name, prev!);
        result.unchanged++;
        sink.link(join(prevReleaseDir!, name), p);
        return;
      }
      if (prev === undefined) {
        // A new file: written whatever its hash, which is taken when it is next compared.
        nextRoot.set(name, null);
        result.written++;
        result.bytes += sink.write(p, entry);
        return;
      }
      const h = hashOf(entry);
      nextRoot.set(name, h);
      if ((prev ?? hashFile(join(prevReleaseDir!, name))) === h) {
        result.unchanged++;
        sink.link(join(prevReleaseDir!, name), p);
      } else {
        result.written++;
        result.bytes += sink.write(p, entry);
      }
    }

    function openUnit(unit: string): OpenUnit {
      let u = openUnits.get(unit);
      if (!u) {
        if (nextUnits.has(unit)) throw new Error(`publish: ${unit} handed in twice`);
        openUnits.set(unit, (u = { unit, prev: manifest.units.get(unit), next: new Map(), dir: null, linkLater: [] }));
      }
      return u;
    }

    function linkFromPrev(u: OpenUnit, name: string) {
      const p = join(u.dir!, name);
      ensureDir(dirname(p));
      sink.link(join(treeDir(outDir, u.unit, u.prev!.version), name), p);
    }

    /** The unit differs from the live one: it gets a new version directory (earlier unchanged files linked). */
    function materialize(u: OpenUnit) {
      if (u.dir) return;
      const dir = treeDir(outDir, u.unit, n);
      writer.rm(dir);
      createdTrees.push(dir);
      writer.mkdir(dir);
      made.add(dir);
      u.dir = dir;
      for (const name of u.linkLater) linkFromPrev(u, name);
      u.linkLater = [];
    }

    // A unit's file is written as soon as it is handed in (once the unit is known to change), so
    // a build keeps no bucket's content in memory: with the small V8 young generation the service
    // runs with, content held until its bucket was complete was copied by scavenges and promoted.
    function putUnit(unit: string, name: string, entry: Entry) {
      const u = openUnit(unit);
      if (u.next.has(name)) throw new Error(`publish: ${unit}/${name} handed in twice`);
      const prevHash = u.prev?.files.get(name);
      if (prevHash === undefined && entry !== KEEP) {
        // A new file (the usual case of a first build): its hash is taken when it is next compared.
        u.next.set(name, null);
        result.written++;
        materialize(u);
        const p = join(u.dir!, name);
        ensureDir(dirname(p));
        result.bytes += sink.write(p, entry);
        return;
      }
      const h = entry === KEEP ? prevHash! : hashOf(entry);
      u.next.set(name, h);
      if (entry === KEEP || (prevHash ?? hashFile(join(treeDir(outDir, unit, u.prev!.version), name))) === h) {
        result.unchanged++;
        if (u.dir) linkFromPrev(u, name);
        else u.linkLater.push(name);
        return;
      }
      const data = entry as string | Buffer;
      result.written++;
      materialize(u);
      const p = join(u.dir!, name);
      ensureDir(dirname(p));
      result.bytes += sink.write(p, data);
    }

    /** All of the unit's files are in: keep the live version when nothing changed, else link the new one. */
    function closeUnit(unit: string) {
      const u = openUnits.get(unit);
      if (!u) return;
      openUnits.delete(unit);
      let version = n;
      if (!u.dir && u.prev && u.prev.files.size === u.next.size) version = u.prev.version;
      else materialize(u);
      nextUnits.set(unit, { version, files: u.next });
      linkUnit(unit, version);
      sink.flush();
    }

    function linkUnit(unit: string, version: number) {
      const link = join(releaseDir, unit);
      const parent = dirname(link);
      ensureDir(parent);
      writer.symlink(relative(parent, treeDir(outDir, unit, version)), link);
    }

    async function abort(): Promise<void> {
      if (done) return;
      done = true;
      // Writes may still be in flight inside the new directories: let them finish first.
      await sink.settle().catch(() => {});
      // Leave the live release alone; remove what this attempt created. Cleanup errors are secondary.
      for (const p of [releaseDir, ...createdTrees]) {
        try {
          fs.rmSync(p, { recursive: true, force: true });
        } catch {
          /* the next build's rm() retries */
        }
      }
      open = false;
    }

    return {
      put(path, entry) {
        if (done) throw new Error('publish: release already finished');
        result.files++;
        const { unit, name } = unitOf(path);
        if (entry === KEEP && !has(path)) throw keepError(path);
        if (unit === '') {
          try {
            putRoot(name, entry);
          } catch (err) {
            throw fail(err);
          }
          return;
        }
        try {
          putUnit(unit, name, entry);
        } catch (err) {
          throw fail(err);
        }
      },
      keepUnit(path) {
        if (done) throw new Error('publish: release already finished');
        const { unit } = unitOf(path);
        const prev = manifest.units.get(unit);
        if (unit === '' || !prev) throw keepError(path);
        if (openUnits.has(unit) || nextUnits.has(unit)) throw new Error(`publish: ${unit} handed in twice`);
        result.files += prev.files.size;
        result.unchanged += prev.files.size;
        nextUnits.set(unit, prev);
        try {
          linkUnit(unit, prev.version);
        } catch (err) {
          throw fail(err);
        }
      },
      flushUnit(path) {
        const { unit } = unitOf(path);
        try {
          closeUnit(unit);
        } catch (err) {
          throw fail(err);
        }
      },
      async commit(state = null) {
        if (done) throw new Error('publish: release already finished');
        try {
          for (const unit of [...openUnits.keys()]) closeUnit(unit);
          sink.flush();
          await sink.settle();
          // Beside the release, written before the switch: a live release always has its state.
          ensureDir(join(outDir, 'state'));
          const body = JSON.stringify({ v: STATE_VERSION, release: n, state });
          await writer.writeFile(join(outDir, 'state', `${releaseName}.json`), body);
          result.stateBytes = Buffer.byteLength(body);
          const tmp = join(outDir, `current.tmp-${n}`);
          writer.rm(tmp);
          writer.symlink(join('releases', releaseName), tmp);
          writer.rename(tmp, currentDir);
        } catch (err) {
          await abort();
          throw fail(err);
        }
        done = true;
        open = false;
        const prevUnits = manifest.units;
        const prevLive = manifest.live;
        manifest.release = n;
        manifest.live = n;
        manifest.root = nextRoot;
        manifest.units = nextUnits;
        // In the background: the next begin() and stop() wait for it.
        background = collectGarbage(prevUnits, prevLive || n).catch(() => {
          // The new release is live; leftovers are removed by the next build's collection.
        });
        return result;
      },
      abort,
    };
  }

  async function publish(entries: Map<string, Entry>): Promise<PublishResult> {
    const rel = await begin();
    try {
      for (const [path, entry] of entries) rel.put(path, entry);
    } catch (err) {
      await rel.abort();
      throw err;
    }
    return rel.commit();
  }

  /** Removes releases older than the previous one and tree versions no kept release points at. */
  async function collectGarbage(prevUnits: Map<string, UnitState>, keepFrom: number): Promise<void> {
    const doomed: string[] = [];
    const relRoot = join(outDir, 'releases');
    for (const name of safeReaddir(relRoot)) {
      const num = Number(name);
      if (!Number.isFinite(num) || num < keepFrom) doomed.push(join(relRoot, name));
    }
    const live = new Set<string>();
    for (const [unit, s] of manifest.units) live.add(treeDir(outDir, unit, s.version));
    for (const [unit, s] of prevUnits) live.add(treeDir(outDir, unit, s.version));
    const treesRoot = join(outDir, 'trees');
    for (const c of safeReaddir(treesRoot)) {
      for (const v of safeReaddir(join(treesRoot, c))) {
        const p = join(treesRoot, c, v);
        if (!live.has(p)) doomed.push(p);
      }
    }
    // Units of the release before the previous one may still be in `live` via prevUnits; they go next time.
    const stateRoot = join(outDir, 'state');
    for (const name of safeReaddir(stateRoot)) {
      const num = Number(name.replace(/\.json$/, ''));
      if (!Number.isFinite(num) || num < keepFrom) doomed.push(join(stateRoot, name));
    }
    await Promise.all(doomed.map((p) => writer.remove(p)));
  }

  return { publish, begin, plan, has, currentDir, settled: () => background, loadedState: loaded };
}

function keepError(path: string): Error {
  return new Error(`publish: KEEP for ${path}, which the live release does not have`);
}

/** File operations in flight at once: enough to keep libuv's four threads and the disk busy. */
const WRITE_CONCURRENCY = 8;
const NOOP = () => {};

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
/**
 * The live release as on disk; when it cannot be read back (a dangling `current`, a deleted
 * tree) every file is written anew instead of failing every later build.
 */
function readManifestOrRebuild(outDir: string): Manifest {
  try {
    return readManifest(outDir);
  } catch {
    const m: Manifest = { release: 0, live: 0, root: new Map(), units: new Map() };
    for (const name of safeReaddir(join(outDir, 'releases'))) m.release = Math.max(m.release, Number(name) || 0);
    return m;
  }
}

function readManifest(outDir: string): Manifest {
  const m: Manifest = { release: 0, live: 0, root: new Map(), units: new Map() };
  let target: string;
  try {
    target = fs.readlinkSync(join(outDir, 'current'));
  } catch {
    // No live release yet: start numbering after any leftover release directories.
    for (const name of safeReaddir(join(outDir, 'releases'))) m.release = Math.max(m.release, Number(name) || 0);
    return m;
  }
  const releaseDir = join(outDir, target);
  m.live = Number(target.split('/').pop()) || 0;
  m.release = m.live;
  for (const name of safeReaddir(join(outDir, 'releases'))) m.release = Math.max(m.release, Number(name) || 0);
  const walk = (dir: string, prefix: string) => {
    for (const ent of fs.readdirSync(dir, { withFileTypes: true })) {
      const rel = prefix ? `${prefix}/${ent.name}` : ent.name;
      const full = join(dir, ent.name);
      if (ent.isSymbolicLink()) {
        const t = fs.readlinkSync(full);
        const version = Number(t.split('.').pop());
        const files = new Map<string, Hash>();
        const walkUnit = (d: string, p: string) => {
          for (const e of fs.readdirSync(d, { withFileTypes: true })) {
            const r = p ? `${p}/${e.name}` : e.name;
            if (e.isDirectory()) walkUnit(join(d, e.name), r);
            else files.set(r, null);
          }
        };
        walkUnit(full, '');
        m.units.set(rel, { version, files });
      } else if (ent.isDirectory()) walk(full, rel);
      else m.root.set(rel, null);
    }
  };
  walk(releaseDir, '');
  return m;
}

const STATE_VERSION = 1;

/**
 * The builder state persisted with the live release. Missing or unreadable state (and a release
 * that could not be read back) yields undefined with a warning: the builder then does one full build.
 */
function readState(outDir: string, m: Manifest, warn?: (msg: string, err?: unknown) => void, validate?: (state: unknown) => string | undefined): unknown {
  if (m.live === 0) return undefined;
  const file = join(outDir, 'state', `${String(m.live).padStart(8, '0')}.json`);
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
