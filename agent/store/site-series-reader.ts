// The guest tier reads of a full site build, shared with a reader thread of the store's own when
// the store is a SQLite file: SQLite's encoding of the series (group_concat/printf, about half of a
// 10,000-guest full build's main-thread time) can then run on both cores. The caller names the
// reads it will ask for next (`ahead`); each is claimed once, through a shared flag, by the thread
// (in the order named) or by the caller asking for it first (then read on the caller's connection):
// neither side waits for the other, and the caller need not turn its event loop for the thread.
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
  /** The read's series: the thread's if it claimed the read (`ahead`), else read now. */
  read(r: GuestSeriesRead): Promise<EncodedSeries[]>;
  /** Names reads the caller asks for next, for the thread to claim (nothing without one). */
  ahead(rs: GuestSeriesRead[]): void;
  close(): Promise<void>;
}

/** The reader thread's page cache: its reads are range scans of the tier tables. */
const READER_CACHE_KIB = 2048;
/** Claim flags, by read id modulo this (far more than the reads named ahead at any time). */
export const CLAIM_SLOTS = 4096;
/** A slot's states: named (free to claim), claimed by the thread, claimed by the caller. */
export const NAMED = 0;
export const BY_THREAD = 1;
const BY_CALLER = 2;

/** A reader of `db`; with `thread` false (or no SQLite file) it reads on `db` itself. */
export function openSeriesReader(db: Kysely<Database>, thread: boolean): SeriesReader {
  const sqlite = sqliteOf(db);
  const direct = (r: GuestSeriesRead) => queryGuestTierSeries(db, r.clusterId, r.lo, r.hi, r.q, r.part);
  if (!thread || !sqlite || sqlite.memory || !sqlite.name) return { read: direct, ahead() {}, close: async () => {} };
  const claims = new Int32Array(new SharedArrayBuffer(CLAIM_SLOTS * 4));
  let worker: Worker | null = startWorker(import.meta.url, './site-series-worker.ts', { workerData: { file: sqlite.name, cacheKiB: READER_CACHE_KIB, claims } });
  /** Named reads by key: their id and the thread's answer (awaited only if the thread claimed the read). */
  const named = new Map<string, { id: number; done: Promise<EncodedSeries[]> }>();
  const answers = new Map<number, { resolve: (rows: EncodedSeries[]) => void; reject: (e: Error) => void }>();
  let next = 0;
  const fail = (err: Error) => {
    // A thread that failed (or exited) leaves every read to the caller's connection.
    worker = null;
    for (const a of answers.values()) a.reject(err);
    answers.clear();
  };
  worker.on('message', (m: { id: number; rows?: EncodedSeries[]; error?: string }) => {
    const a = answers.get(m.id);
    answers.delete(m.id);
    if (m.error !== undefined) a?.reject(new Error(`series reader: ${m.error}`));
    else a?.resolve(m.rows!);
  });
  worker.once('error', fail);
  worker.once('exit', () => fail(new Error('series reader thread exited')));
  return {
    read(r) {
      const key = JSON.stringify(r);
      const n = named.get(key);
      named.delete(key);
      if (!n || Atomics.compareExchange(claims, n.id % CLAIM_SLOTS, NAMED, BY_CALLER) === NAMED) {
        if (n) answers.delete(n.id);
        return direct(r);
      }
      return n.done.catch(() => direct(r)); // the thread failed: read here (or say why not)
    },
    ahead(rs) {
      for (const r of rs) {
        if (!worker) return;
        const id = next++;
        const done = new Promise<EncodedSeries[]>((resolve, reject) => answers.set(id, { resolve, reject }));
        done.catch(() => {}); // seen by read()
        named.set(JSON.stringify(r), { id, done });
        Atomics.store(claims, id % CLAIM_SLOTS, NAMED);
        worker.postMessage({ id, read: r });
      }
    },
    async close() {
      named.clear();
      answers.clear();
      const w = worker;
      if (!w) return;
      worker = null;
      claims.fill(BY_CALLER); // reads still queued in the thread are skipped
      const exited = once(w, 'exit');
      w.postMessage('close');
      await exited;
    },
  };
}
