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
// written by a few writer threads, so that writing overlaps with rendering (the file system's
// work is kernel time on another core). Files inside a
// brand-new release or tree directory are written in place (no temp file + rename): nothing
// serves them until the release as a whole is switched in.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { Worker } from 'node:worker_threads';
import { PmiError, errorMessage } from '../errors.ts';

/** Marks an entry whose content is whatever the previous release has (not re-rendered this build). */
export const KEEP: unique symbol = Symbol('keep');
export type Entry = string | Buffer | typeof KEEP;

/** The file-system calls the publisher makes; tests inject a failing one. */
export interface SiteWriter {
  /** May be async: the publisher runs several writes at once. */
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

/** A unit of the release being written. */
interface OpenUnit {
  unit: string;
  prev: UnitState | undefined;
  /** Hash by name of every file handed in so far. */
  next: Map<string, string>;
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

/** One release being written: hand in files while rendering, then commit (switch) or abort. */
export interface ReleaseWriter {
  /** Adds a file. Root files are written (or linked) at once; guest-bucket files wait for flushUnit/commit. */
  put(path: string, entry: Entry): void;
  /** The bucket holding `path` is complete: write its tree now. */
  flushUnit(path: string): void;
  /** The bucket holding `path` is exactly as in the live release (one symlink, no per-file work). */
  keepUnit(path: string): void;
  /** Waits for every write, switches `current` to the new release. */
  commit(): Promise<PublishResult>;
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
}

/** Where a release's file operations go: the writer threads, or an injected SiteWriter (tests). */
interface OpSink {
  /**
   * Queues a write; returns its size in bytes. `hashed`: the file is new, compute its hash where
   * it is written (off the build's thread).
   */
  write(path: string, data: string | Buffer, hashed?: (hash: string) => void): number;
  link(existing: string, path: string): void;
  /** Sends what is buffered. */
  flush(): void;
  /** Resolves when every operation finished; rejects with the first failure. */
  settle(): Promise<void>;
}

/** Creates the publisher for outDir, reading back the live release (if any) to know what is on disk. */
export function createPublisher(opts: { outDir: string; writer?: SiteWriter; keepReleases?: number }): Publisher {
  const { outDir } = opts;
  const writer = opts.writer ?? fsWriter;
  const threads = opts.writer === undefined;
  const currentDir = join(outDir, 'current');
  const spareRoot = join(outDir, '.spare');
  const manifest = readManifestOrRebuild(outDir);
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

  function sinkFor(): OpSink {
    if (threads) return threadSink(spareRoot);
    const jobs: Array<() => void | Promise<void>> = [];
    let settled: Promise<void> | null = null;
    return {
      write: (p, d, hashed) => {
        hashed?.(hashOf(d));
        jobs.push(() => writer.writeFile(p, d));
        return typeof d === 'string' ? Buffer.byteLength(d) : d.length;
      },
      link: (a, b) => writer.link(a, b),
      flush: () => {},
      settle: () => (settled ??= runPool(jobs, WRITE_CONCURRENCY)),
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
    const nextRoot = new Map<string, string>();
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
        // A new file: written whatever its hash, which the writer thread computes.
        nextRoot.set(name, '');
        result.written++;
        result.bytes += sink.write(p, entry, (h) => nextRoot.set(name, h));
        return;
      }
      const h = hashOf(entry);
      nextRoot.set(name, h);
      if (prev === h) {
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
        // A new file (the usual case of a first build): the writer thread hashes it.
        u.next.set(name, '');
        result.written++;
        materialize(u);
        const p = join(u.dir!, name);
        ensureDir(dirname(p));
        result.bytes += sink.write(p, entry, (h) => u.next.set(name, h));
        return;
      }
      const h = entry === KEEP ? prevHash! : hashOf(entry);
      u.next.set(name, h);
      if (prevHash === h) {
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
      // Writer threads may still be busy inside the new directories: let them finish first.
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
      async commit() {
        if (done) throw new Error('publish: release already finished');
        try {
          for (const unit of [...openUnits.keys()]) closeUnit(unit);
          sink.flush();
          await sink.settle();
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
        // Awaited (on the writer threads, ~30 ms at 10,000 guests with recycling) so that nothing
        // touches the output directory once a build has returned: callers may remove it at once.
        background = collectGarbage(prevUnits, prevLive || n).catch(() => {
          // The new release is live; leftovers are removed by the next build's collection.
        });
        await background;
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
    if (!threads) {
      for (const p of doomed) writer.rm(p);
      return;
    }
    // In the background, on the writer threads: the next build waits for it in begin().
    // Each old directory is recycled by one thread: its files that nothing else links become that
    // thread's spare inodes (see WORKER_SOURCE).
    await Promise.all(doomed.map((p) => writerPool().run([['gc', p]], spareRoot)));
  }

  return { publish, begin, plan, has, currentDir, settled: () => background };
}

function keepError(path: string): Error {
  return new Error(`publish: KEEP for ${path}, which the live release does not have`);
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

// ---- writer threads -------------------------------------------------------------------------

/** ['w', path, data, hash it (1) or not (0)] */
type Op = ['w', string, Uint8Array, 0 | 1] | ['l', string, string] | ['gc', string];

/** Writer threads: creating files waits on the disk, not the CPU, so several run at once. */
const WRITER_THREADS = 4;
/** Operations per message: small enough to spread a bucket over the threads. */
const BATCH_OPS = 32;
/** Spare inodes kept per thread (a 10,000-guest cycle writes ~1,500 files). */
const SPARE_MAX = 1000;

/**
 * The writer thread. On ext4 without a journal (this VM's root file system, and some cloud
 * images) the inode allocator skips inodes freed in the last 60–300 s one by one
 * (recently_deleted() in fs/ext4/ialloc.c; seen with perf): right after thousands of files were
 * deleted nearby, creating a file costs 0.3–1 ms of kernel time instead of ~0.03 ms. An agent that
 * deleted each cycle's dropped release would keep its own directory in that state, so old releases
 * are not simply deleted: their files that no other release links (nlink 1) are moved into the
 * thread's spare directory
 * (`<outDir>/.spare/<k>/`, never served), and a later write renames a spare into place and
 * overwrites it. A release is still never modified once it is live: spares come only from
 * releases and bucket versions that no kept release points at.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const SPARE_MAX = ${SPARE_MAX};
const pools = new Map();
let seq = 0;
function poolFor(root) {
  let p = pools.get(root);
  if (!p) {
    const dir = path.join(root, String(workerData.index));
    fs.mkdirSync(dir, { recursive: true });
    p = { dir, names: fs.readdirSync(dir) };
    pools.set(root, p);
  }
  return p;
}
function write(root, target, data) {
  const p = poolFor(root);
  while (p.names.length) {
    const src = path.join(p.dir, p.names.pop());
    try {
      fs.renameSync(src, target);
    } catch {
      continue;
    }
    fs.writeFileSync(target, data);
    return;
  }
  fs.writeFileSync(target, data);
}
// Moves a file into the spare directory; recreates that directory if someone removed it.
function spare(p, f, name) {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.renameSync(f, path.join(p.dir, name));
      return true;
    } catch (e) {
      if (e.code !== 'ENOENT' || attempt > 0) return false;
      try {
        fs.mkdirSync(p.dir, { recursive: true });
        p.names = fs.readdirSync(p.dir);
      } catch {
        return false;
      }
    }
  }
  return false;
}
function recycle(root, dir) {
  const p = poolFor(root);
  let entries;
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch (e) {
    if (e.code === 'ENOENT') return;
    throw e;
  }
  for (const e of entries) {
    const f = path.join(dir, e.name);
    if (e.isDirectory()) recycle(root, f);
    else if (e.isFile() && p.names.length < SPARE_MAX && fs.lstatSync(f).nlink === 1) {
      const name = Date.now().toString(36) + '-' + process.pid + '-' + (seq++);
      if (spare(p, f, name)) p.names.push(name);
      else fs.unlinkSync(f);
    } else fs.unlinkSync(f);
  }
  fs.rmdirSync(dir);
}
parentPort.on('message', (m) => {
  let error = null;
  const hashes = [];
  for (const op of m.ops) {
    try {
      if (op[0] === 'w') {
        write(m.spare, op[1], op[2]);
        if (op[3]) hashes.push(createHash('sha1').update(op[2]).digest('base64url'));
      }
      else if (op[0] === 'l') fs.linkSync(op[1], op[2]);
      else recycle(m.spare, op[1]);
    } catch (e) {
      error = { message: String(e && e.message), code: e && e.code };
      break;
    }
  }
  parentPort.postMessage({ id: m.id, error, hashes });
});
`;

interface WriterPool {
  /** Resolves to the hashes of the writes marked for hashing, in order. */
  run(ops: Op[], spareRoot: string, transfer?: ArrayBuffer[]): Promise<string[]>;
  close(): Promise<void>;
}

let pool: WriterPool | null = null;

/** The process-wide writer threads (started on first use; they never keep the process alive). */
function writerPool(): WriterPool {
  if (pool) return pool;
  interface Slot { worker: Worker; pending: Map<number, { ops: number; resolve: (hashes: string[]) => void; reject: (e: Error) => void }>; load: number }
  const slots: Slot[] = [];
  let nextId = 1;
  let spawned = 0;
  const spawn = (): Slot => {
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { index: spawned++ % WRITER_THREADS } });
    worker.unref();
    const slot: Slot = { worker, pending: new Map(), load: 0 };
    worker.on('message', (m: { id: number; error: { message: string; code?: string } | null; hashes: string[] }) => {
      const p = slot.pending.get(m.id);
      if (!p) return;
      slot.pending.delete(m.id);
      slot.load -= p.ops;
      if (slot.pending.size === 0) worker.unref();
      if (m.error) p.reject(Object.assign(new Error(m.error.message), { code: m.error.code }));
      else p.resolve(m.hashes);
    });
    worker.on('error', (err) => retire(slot, err));
    worker.on('exit', (code) => retire(slot, new Error(`site writer thread exited (${code})`)));
    return slot;
  };
  const retire = (slot: Slot, err: Error) => {
    const i = slots.indexOf(slot);
    if (i !== -1) slots.splice(i, 1);
    for (const p of slot.pending.values()) p.reject(err);
    slot.pending.clear();
  };
  pool = {
    run(ops, spareRoot, transfer = []) {
      while (slots.length < WRITER_THREADS) slots.push(spawn());
      let slot = slots[0]!;
      for (const s of slots) if (s.load < slot.load) slot = s;
      const id = nextId++;
      slot.load += ops.length;
      if (slot.pending.size === 0) slot.worker.ref();
      return new Promise<string[]>((resolve, reject) => {
        slot.pending.set(id, { ops: ops.length, resolve, reject });
        slot.worker.postMessage({ id, ops, spare: spareRoot }, transfer);
      });
    },
    async close() {
      const workers = slots.splice(0).map((s) => s.worker);
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };
  return pool;
}

/**
 * Stops the writer threads (the agent calls it when it closes). Unref'd idle threads did not
 * reliably let the process exit: after a build that recycled a release their message ports
 * stayed referenced, so a finished `pmi-agent once` never exited. A later build starts new ones.
 */
export async function closeWriterPool(): Promise<void> {
  const p = pool;
  pool = null;
  await p?.close();
}

const utf8 = new TextEncoder();

/** Buffers operations into batches for the writer threads; settle() reports the first failure. */
function threadSink(spareRoot: string): OpSink {
  let batch: Op[] = [];
  let hashed: Array<(h: string) => void> = [];
  let transfer: ArrayBuffer[] = [];
  const sent: Array<Promise<void>> = [];
  let failure: { err: unknown } | null = null;
  const send = () => {
    if (!batch.length) return;
    const ops = batch;
    const callbacks = hashed;
    const moved = transfer;
    batch = [];
    hashed = [];
    transfer = [];
    sent.push(writerPool().run(ops, spareRoot, moved).then((hashes) => {
      for (let k = 0; k < callbacks.length; k++) callbacks[k]!(hashes[k]!);
    }, (err: unknown) => {
      failure ??= { err };
    }));
  };
  const add = (op: Op) => {
    batch.push(op);
    if (batch.length >= BATCH_OPS) send();
  };
  return {
    write: (p, d, h) => {
      if (h) hashed.push(h);
      // Encoded here and its buffer moved to the thread: a string would be flattened and copied
      // by postMessage (~0.45 s for a 10,000-guest first build), and its byte length counted again.
      let bytes: Uint8Array;
      if (typeof d === 'string') {
        bytes = utf8.encode(d);
        transfer.push(bytes.buffer as ArrayBuffer);
      } else bytes = d;
      const n = bytes.length; // before add(): sending the batch detaches the buffer
      add(['w', p, bytes, h ? 1 : 0]);
      return n;
    },
    link: (a, b) => add(['l', a, b]),
    flush: send,
    async settle() {
      send();
      await Promise.all(sent);
      if (failure) throw (failure as { err: unknown }).err;
    },
  };
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
