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
import * as fs from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { PmiError, errorMessage } from '../errors.ts';
import { STATE_VERSION, hashOf, readManifestOrRebuild, readState, releaseName, safeReaddir, sameContent, unitDir, unitOf, type Hash, type UnitState } from './release-manifest.ts';
import { createWriteQueue, fsWriter, type SiteWriter } from './site-writer.ts';
import { toJson } from './encode-json.ts';

export { fsWriter, type SiteWriter } from './site-writer.ts';
export { unitOf } from './release-manifest.ts';

/** Marks an entry whose content is whatever the previous release has (not re-rendered this build). */
export const KEEP: unique symbol = Symbol('keep');
export type Entry = string | Buffer | typeof KEEP;

export interface PublishResult {
  files: number;
  written: number;
  unchanged: number;
  bytes: number;
  release: number;
  /** Bytes of the persisted state written with the release (0: none). */
  stateBytes?: number;
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

/** One release being written: hand in files while rendering, then commit (switch) or abort. */
export interface ReleaseWriter {
  /** Adds a file. Root files are written (or linked) at once; guest-bucket files wait for flushUnit/commit. */
  put(path: string, entry: Entry): void;
  /** The bucket holding `path` is complete: write its tree now. */
  flushUnit(path: string): Promise<void>;
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

/** Creates the publisher for outDir, reading back the live release (if any) to know what is on disk. */
export function createPublisher(opts: { outDir: string; writer?: SiteWriter; warn?: (msg: string, err?: unknown) => void; validateState?: (state: unknown) => string | undefined }): Publisher {
  const { outDir } = opts;
  const writer = opts.writer ?? fsWriter;
  const currentDir = join(outDir, 'current');
  const manifest = readManifestOrRebuild(outDir);
  const loaded = readState(outDir, manifest, opts.warn, opts.validateState);
  if (loaded === undefined) {
    // Without its state the live release is not trusted to be what a build would keep: the next
    // build writes every file anew (and links nothing from it).
    manifest.units = new Map();
  }
  let background: Promise<void> = Promise.resolve();
  let open = false;

  function has(path: string): boolean {
    const { unit, name } = unitOf(path);
    return manifest.units.get(unit)?.files.has(name) ?? false;
  }

  function plan(entries: Map<string, Entry>): PublishResult {
    const r: PublishResult = { files: entries.size, written: 0, unchanged: 0, bytes: 0, release: manifest.release + 1 };
    for (const [path, entry] of entries) {
      const { unit, name } = unitOf(path);
      const prevUnit = manifest.units.get(unit);
      const was = prevUnit?.files.get(name);
      if (entry === KEEP) {
        if (was === undefined) throw keepError(path);
        r.unchanged++;
        continue;
      }
      if (was !== undefined && sameContent(was, join(unitDir(outDir, unit, prevUnit?.version ?? 0), name), entry, hashOf(entry))) r.unchanged++;
      else {
        r.written++;
        r.bytes += typeof entry === 'string' ? Buffer.byteLength(entry) : entry.length;
      }
    }
    return r;
  }

  async function begin(): Promise<ReleaseWriter> {
    if (open) throw new PmiError('SITE_BUILD_FAILED', 'publish: a release is already being written');
    // Old releases still being removed in the background: finish first (errors are retried below).
    await background.catch(() => {});
    open = true;
    const n = manifest.release + 1;
    const releaseDir = unitDir(outDir, '', n);
    const createdTrees: string[] = [];
    const result: PublishResult = { files: 0, written: 0, unchanged: 0, bytes: 0, release: n };
    const nextUnits = new Map<string, UnitState>();
    /** Bucket units being handed in: files are written (or linked) as they arrive, not kept. */
    const openUnits = new Map<string, OpenUnit>();
    const made = new Set<string>();
    const sink = createWriteQueue(writer);
    let done = false;
    const ensureDir = (dir: string) => {
      if (!made.has(dir)) {
        writer.mkdir(dir);
        made.add(dir);
      }
    };
    const fail = (err: unknown) => new PmiError('SITE_BUILD_FAILED', `publishing release ${n} failed: ${errorMessage(err)}`, { cause: err });
    const guarded = (f: () => void) => {
      try {
        f();
      } catch (err) {
        throw fail(err);
      }
    };

    try {
      writer.rm(releaseDir);
      writer.mkdir(releaseDir);
      made.add(releaseDir);
    } catch (err) {
      open = false;
      throw fail(err);
    }
    // The root unit is the release directory itself: always new, its unchanged files hard-linked.
    openUnits.set('', { unit: '', prev: manifest.units.get(''), next: new Map(), dir: releaseDir, linkLater: [] });

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
      sink.link(join(unitDir(outDir, u.unit, u.prev!.version), name), p);
    }

    /** The unit differs from the live one: it gets a new version directory (earlier unchanged files linked). */
    function materialize(u: OpenUnit) {
      if (u.dir) return;
      const dir = unitDir(outDir, u.unit, n);
      writer.rm(dir);
      createdTrees.push(dir);
      writer.mkdir(dir);
      made.add(dir);
      u.dir = dir;
      for (const name of u.linkLater) linkFromPrev(u, name);
      u.linkLater = [];
    }

    // A unit's file is written (a text encoded) as soon as it is handed in, so a build keeps no
    // bucket's content in the V8 heap: with the service's small young generation, content held
    // until its bucket was complete, or a text while its write waited, was copied by scavenges.
    function putUnit(unit: string, name: string, entry: Entry) {
      // encoded once, here: hashed and queued as these bytes (outside the V8 heap while the write waits)
      if (typeof entry === 'string') entry = Buffer.from(entry);
      const u = openUnit(unit);
      if (u.next.has(name)) throw new Error(`publish: ${unit}/${name} handed in twice`);
      const prevHash = u.prev?.files.get(name);
      if (prevHash === undefined && entry !== KEEP) {
        // A new file (the usual case of a first build): its size stands for its hash until a comparison needs it.
        result.written++;
        materialize(u);
        const p = join(u.dir!, name);
        ensureDir(dirname(p));
        u.next.set(name, sink.write(p, entry));
        result.bytes += u.next.get(name) as number;
        return;
      }
      const h = entry === KEEP ? prevHash! : hashOf(entry);
      u.next.set(name, h);
      if (entry === KEEP || sameContent(prevHash!, join(unitDir(outDir, unit, u.prev!.version), name), entry, h as string)) {
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
      if (unit !== '') linkUnit(unit, version);
    }

    function linkUnit(unit: string, version: number) {
      const link = join(releaseDir, unit);
      const parent = dirname(link);
      ensureDir(parent);
      sink.symlink(relative(parent, unitDir(outDir, unit, version)), link);
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
        guarded(() => putUnit(unit, name, entry));
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
        guarded(() => linkUnit(unit, prev.version));
      },
      flushUnit(path) {
        const { unit } = unitOf(path);
        if (unit !== '') guarded(() => closeUnit(unit));
        // Backpressure: the renderer goes on once the writes waiting to start are few.
        return sink.drain(WAITING_WRITES_MAX);
      },
      async commit(state = null) {
        if (done) throw new Error('publish: release already finished');
        try {
          for (const unit of [...openUnits.keys()]) closeUnit(unit);
          await sink.settle();
          // Beside the release, written before the switch: a live release always has its state.
          ensureDir(join(outDir, 'state'));
          const body = toJson({ v: STATE_VERSION, release: n, state });
          await writer.writeFile(join(outDir, 'state', `${releaseName(n)}.json`), body);
          result.stateBytes = Buffer.byteLength(body);
          const tmp = join(outDir, `current.tmp-${n}`);
          writer.rm(tmp);
          await writer.symlink(join('releases', releaseName(n)), tmp);
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
    // Releases and their states older than the previous release.
    for (const dir of ['releases', 'state']) {
      for (const name of safeReaddir(join(outDir, dir))) {
        const num = Number(name.replace(/\.json$/, ''));
        if (!Number.isFinite(num) || num < keepFrom) doomed.push(join(outDir, dir, name));
      }
    }
    const live = new Set<string>();
    for (const units of [manifest.units, prevUnits]) for (const [unit, s] of units) if (unit !== '') live.add(unitDir(outDir, unit, s.version));
    const treesRoot = join(outDir, 'trees');
    for (const c of safeReaddir(treesRoot)) {
      for (const v of safeReaddir(join(treesRoot, c))) {
        const p = join(treesRoot, c, v);
        if (!live.has(p)) doomed.push(p);
      }
    }
    await Promise.all(doomed.map((p) => writer.remove(p)));
  }

  return { publish, begin, plan, has, currentDir, settled: () => background, loadedState: loaded };
}

/** Writes allowed to wait while the build renders on (about one bucket's files). */
const WAITING_WRITES_MAX = 256;

function keepError(path: string): Error {
  return new Error(`publish: KEEP for ${path}, which the live release does not have`);
}

