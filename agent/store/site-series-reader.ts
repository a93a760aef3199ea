// The guest tier reads of a full site build, shared with a reader thread of the store's own when
// the store is a SQLite file: SQLite's encoding of the series (group_concat/printf, about half of a
// 10,000-guest full build's main-thread time) then runs on both cores. The caller names the reads
// it will ask for next (`ahead`); the thread takes them one at a time, and a read asked for before
// the thread took it is done on the caller's connection meanwhile, so neither side waits long.
// PostgreSQL (the server does the work) and in-memory databases read on the caller's connection.
// The site opens a reader for a full build and closes it after; the thread lives only that long.
import { once } from 'node:events';
import type { Worker } from 'node:worker_threads';
import type { Kysely } from 'kysely';
import type { Database } from './schema.ts';
import { sqliteOf } from './sqlite-dialect.ts';
import { startWorker } from '../worker-module.ts';
import { queryGuestTierSeries, type EncodedSeries, type GuestSeriesRead } from './site-series.repository.ts';

export interface SeriesReader {
  /** The read's series: taken by the thread (if `ahead` named it and the thread took it), else read now. */
  read(r: GuestSeriesRead): Promise<EncodedSeries[]>;
  /** Names reads the caller asks for next, for the thread to take (nothing without one). */
  ahead(rs: GuestSeriesRead[]): void;
  close(): Promise<void>;
}

/** The reader thread's page cache: its reads are range scans of the tier tables. */
const READER_CACHE_KIB = 2048;

interface Pending {
  r: GuestSeriesRead;
  done: Promise<EncodedSeries[]>;
  resolve: (rows: EncodedSeries[]) => void;
  reject: (e: Error) => void;
}

/** A reader of `db`; with `thread` false (or no SQLite file) it reads on `db` itself. */
export function openSeriesReader(db: Kysely<Database>, thread: boolean): SeriesReader {
  const sqlite = sqliteOf(db);
  const direct = (r: GuestSeriesRead) => queryGuestTierSeries(db, r.clusterId, r.lo, r.hi, r.q, r.part);
  if (!thread || !sqlite || sqlite.memory || !sqlite.name) return { read: direct, ahead() {}, close: async () => {} };
  let worker: Worker | null = startWorker(import.meta.url, './site-series-worker.ts', { workerData: { file: sqlite.name, cacheKiB: READER_CACHE_KIB } });
  /** Named reads, by key: queued (not yet taken) in `queue` order, or taken (`taken` is its key). */
  const named = new Map<string, Pending>();
  const queue: string[] = [];
  let taken: string | null = null;
  let idle = false;
  const give = () => {
    idle = false;
    while (worker && queue.length) {
      const key = queue.shift()!;
      if (!named.has(key)) continue; // read meanwhile on the caller's connection
      taken = key;
      worker.postMessage(named.get(key)!.r);
      return;
    }
    idle = true;
  };
  const fail = (err: Error) => {
    // A thread that failed (or exited) leaves every read to the caller's connection.
    worker = null;
    if (taken) named.get(taken)?.reject(err);
    taken = null;
  };
  worker.on('message', (m: 'ready' | { rows?: EncodedSeries[]; error?: string }) => {
    if (m !== 'ready' && taken) {
      const p = named.get(taken)!;
      named.delete(taken);
      if (m.error !== undefined) p.reject(new Error(`series reader: ${m.error}`));
      else p.resolve(m.rows!);
    }
    taken = null;
    give();
  });
  worker.once('error', fail);
  worker.once('exit', () => fail(new Error('series reader thread exited')));
  return {
    read(r) {
      const key = JSON.stringify(r);
      const p = named.get(key);
      if (p && key === taken) return p.done.catch(() => direct(r)); // the thread failed: read here (or say why not)
      named.delete(key);
      return direct(r);
    },
    ahead(rs) {
      for (const r of rs) {
        const key = JSON.stringify(r);
        let resolve!: Pending['resolve'];
        let reject!: Pending['reject'];
        const done = new Promise<EncodedSeries[]>((res, rej) => ((resolve = res), (reject = rej)));
        done.catch(() => {}); // seen by read()
        named.set(key, { r, done, resolve, reject });
        queue.push(key);
      }
      if (idle) give();
    },
    async close() {
      named.clear();
      queue.length = 0;
      const w = worker;
      if (!w) return;
      worker = null;
      const exited = once(w, 'exit');
      w.postMessage('close');
      await exited;
    },
  };
}
