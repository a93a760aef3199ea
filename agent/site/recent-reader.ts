// The first build after a start needs every running guest's last hour of raw samples (half a
// million rows at 10,000 guests, ~0.8 s of SQLite work). better-sqlite3 is synchronous, so on the
// build's thread that time is lost; here a short-lived worker thread with its own read-only
// connection runs the query while the build renders the fleet pages. WAL mode lets the extra
// reader run alongside the agent's connection.
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { PACKED_GUEST_SAMPLES_SQL, type PackedGuestSamples } from './recent.query.ts';

export interface ClusterRead {
  clusterId: number;
  /** Samples with ts > after. */
  after: number;
}

export type RecentReader = (reads: ClusterRead[]) => Promise<Map<number, PackedGuestSamples[]>>;

// Plain CommonJS: runs the same under tsx, the bundle and vitest. better-sqlite3 is required by
// absolute path (a worker's own resolution would start from the working directory).
const READER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file, { readonly: true, fileMustExist: true });
try {
  db.pragma('busy_timeout = 5000');
  const stmt = db.prepare(workerData.sql);
  const out = [];
  for (const r of workerData.reads) out.push([r.clusterId, stmt.all({ clusterId: r.clusterId, after: r.after })]);
  parentPort.postMessage({ out });
} catch (e) {
  parentPort.postMessage({ error: String(e && e.message) });
} finally {
  db.close();
}
`;

/** A reader for the database file `file` (each call runs one worker thread to completion). */
export function createRecentReader(file: string): RecentReader {
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  return (reads) =>
    new Promise((resolve, reject) => {
      const w = new Worker(READER_SOURCE, { eval: true, workerData: { driver, file, sql: PACKED_GUEST_SAMPLES_SQL, reads } });
      let settled = false;
      w.once('message', (m: { out?: Array<[number, PackedGuestSamples[]]>; error?: string }) => {
        settled = true;
        if (m.error !== undefined) reject(new Error(`reading recent samples: ${m.error}`));
        else resolve(new Map(m.out));
      });
      w.once('error', (err) => {
        settled = true;
        reject(err);
      });
      w.once('exit', (code) => {
        if (!settled) reject(new Error(`recent-sample reader exited (${code}) without a result`));
      });
    });
}
