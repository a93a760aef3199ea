// The guest tier reads of a full site build, on the store's own reader thread when the store is a
// SQLite file: SQLite's encoding of the series (group_concat/printf, about half of a 10,000-guest
// full build's main-thread time) then runs on the second core, a bucket ahead of the rendering.
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
  /** The read's series: the one `ahead` started for it, else read now. */
  read(r: GuestSeriesRead): Promise<EncodedSeries[]>;
  /** Starts reads the caller asks for next (on the reader's thread; nothing without one). */
  ahead(rs: GuestSeriesRead[]): void;
  close(): Promise<void>;
}

/** The reader thread's page cache: its reads are range scans of the tier tables. */
const READER_CACHE_KIB = 2048;

/** A reader of `db`; with `thread` false (or no SQLite file) it reads on `db` itself. */
export function openSeriesReader(db: Kysely<Database>, thread: boolean): SeriesReader {
  const sqlite = sqliteOf(db);
  const direct = (r: GuestSeriesRead) => queryGuestTierSeries(db, r.clusterId, r.lo, r.hi, r.q, r.part);
  if (!thread || !sqlite || sqlite.memory || !sqlite.name) return { read: direct, ahead() {}, close: async () => {} };
  let worker: Worker | null = startWorker(import.meta.url, './site-series-worker.ts', { workerData: { file: sqlite.name, cacheKiB: READER_CACHE_KIB } });
  const waiting = new Map<number, { resolve: (rows: EncodedSeries[]) => void; reject: (e: Error) => void }>();
  const started = new Map<string, Promise<EncodedSeries[]>>();
  let next = 0;
  const fail = (err: Error) => {
    // A thread that failed (or exited) leaves the reads to the caller's connection.
    worker = null;
    for (const w of waiting.values()) w.reject(err);
    waiting.clear();
  };
  worker.on('message', (m: 'ready' | { id: number; rows?: EncodedSeries[]; error?: string }) => {
    if (m === 'ready') return;
    const w = waiting.get(m.id);
    waiting.delete(m.id);
    if (m.error !== undefined) w?.reject(new Error(`series reader: ${m.error}`));
    else w?.resolve(m.rows!);
  });
  worker.once('error', fail);
  worker.once('exit', () => fail(new Error('series reader thread exited')));
  const start = (r: GuestSeriesRead): Promise<EncodedSeries[]> => {
    if (!worker) return direct(r);
    const id = next++;
    const p = new Promise<EncodedSeries[]>((resolve, reject) => waiting.set(id, { resolve, reject }));
    worker.postMessage({ id, read: r });
    return p.catch(() => direct(r)); // the thread failed: the caller's connection reads (or says why not)
  };
  return {
    read(r) {
      const key = JSON.stringify(r);
      const p = started.get(key);
      started.delete(key);
      return p ?? start(r);
    },
    ahead(rs) {
      for (const r of rs) {
        const p = start(r);
        p.catch(() => {}); // read (and its error seen) when asked for
        started.set(JSON.stringify(r), p);
      }
    },
    async close() {
      started.clear();
      const w = worker;
      if (!w) return;
      worker = null;
      const exited = once(w, 'exit');
      w.postMessage('close');
      await exited;
    },
  };
}
