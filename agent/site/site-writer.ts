// The file-system calls of the publisher, and the queue that runs them while a build renders:
// each operation starts at once, at most WRITE_CONCURRENCY at a time, through fs/promises (libuv's
// thread pool does the disk work, so writing overlaps with rendering without threads of our own).
import * as fs from 'node:fs';
import { rm } from 'node:fs/promises';

/** The file-system calls the publisher makes; tests inject a failing one. */
export interface SiteWriter {
  /** May be async: the publisher runs several writes at once. */
  writeFile(path: string, data: string | Buffer): void | Promise<void>;
  link(existing: string, path: string): void | Promise<void>;
  symlink(target: string, path: string): void | Promise<void>;
  rename(from: string, to: string): void;
  mkdir(path: string): void;
  rm(path: string): void;
  /** Removes a dropped release or tree in the background. */
  remove(path: string): Promise<void>;
}

/** A callback-style fs call as a promise: fs/promises' FileHandle path cost ~3x the main-thread time per file (profiled). */
const settle = (call: (cb: (err: NodeJS.ErrnoException | null) => void) => void) =>
  new Promise<void>((resolve, reject) => call((err) => (err ? reject(err) : resolve())));

export const fsWriter: SiteWriter = {
  writeFile: (p, d) => settle((cb) => fs.writeFile(p, d, cb)),
  link: (a, b) => settle((cb) => fs.link(a, b, cb)),
  symlink: (t, p) => settle((cb) => fs.symlink(t, p, cb)),
  rename: (a, b) => fs.renameSync(a, b),
  mkdir: (p) => fs.mkdirSync(p, { recursive: true }),
  rm: (p) => fs.rmSync(p, { recursive: true, force: true }),
  remove: (p) => rm(p, { recursive: true, force: true }),
};

/** Where a release's file operations go: started at once, a few at a time. */
export interface OpSink {
  /** Queues a write; returns its size in bytes. */
  write(path: string, data: string | Buffer): number;
  link(existing: string, path: string): void;
  symlink(target: string, path: string): void;
  /** Resolves once at most `max` operations wait to start (a build's content is not all held in memory at once). */
  drain(max: number): Promise<void>;
  /** Resolves when every operation finished; rejects with the first failure. */
  settle(): Promise<void>;
}

/** File operations in flight at once: enough to keep libuv's four threads and the disk busy. */
const WRITE_CONCURRENCY = 8;
const NOOP = () => {};

/** A queue of file operations for one release; settle() reports the first failure. */
export function createWriteQueue(writer: SiteWriter): OpSink {
  const queue: Array<() => void | Promise<void>> = [];
  let head = 0;
  let running = 0;
  let failure: { err: unknown } | null = null;
  const waiters: Array<() => void> = [];
  let drains: Array<{ max: number; resolve: () => void }> = [];
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
          if (drains.length) {
            const ready = drains.filter((d) => queue.length - head <= d.max || failure);
            drains = drains.filter((d) => !ready.includes(d));
            for (const d of ready) d.resolve();
          }
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
      // the publisher hands in bytes (a text is encoded once, in publish.ts putUnit)
      add(() => writer.writeFile(p, d));
      return typeof d === 'string' ? Buffer.byteLength(d) : d.length;
    },
    link: (a, b) => add(() => writer.link(a, b)),
    symlink: (t, p) => add(() => writer.symlink(t, p)),
    drain: (max) =>
      queue.length - head <= max || failure ? Promise.resolve() : new Promise<void>((resolve) => drains.push({ max, resolve })),
    settle: () =>
      new Promise<void>((resolve, reject) => {
        const done = () => (failure ? reject(failure.err) : resolve());
        if (running === 0) done();
        else waiters.push(done);
      }),
  };
}
