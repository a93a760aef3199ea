// The first build after a start needs every running guest's last hour of raw samples (half a
// million rows at 10,000 guests, ~0.8 s of SQLite work). better-sqlite3 is synchronous, so on the
// build's thread that time is lost; here a short-lived worker thread with its own read-only
// connection runs the query while the build renders the fleet pages. WAL mode lets the extra
// reader run alongside the agent's connection.
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { PACKED_GUEST_SAMPLES_SQL, type PackedGuestSamples } from '../store/site-samples.repository.ts';

export interface ClusterRead {
  clusterId: number;
  /** Samples with ts > after. */
  after: number;
}

/**
 * Reads the clusters one after the other, handing each one's rows over as soon as it is read (the
 * build renders a cluster's guests while the next one is read); resolves when all are.
 */
export type RecentReader = (reads: ClusterRead[], onCluster: (clusterId: number, rows: PackedGuestSamples[]) => void) => Promise<void>;

// Plain CommonJS: runs the same under tsx, the bundle and vitest. better-sqlite3 is required by
// absolute path (a worker's own resolution would start from the working directory).
const READER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file, { readonly: true, fileMustExist: true });
try {
  db.pragma('busy_timeout = 5000');
  // The query sorts ~30 MB per 5,000 guests: in memory, not in temporary files (SQLite spills a
  // sort that outgrows the page cache; this connection lives for one read).
  db.pragma('cache_size = -131072');
  db.pragma('temp_store = MEMORY');
  const stmt = db.prepare(workerData.sql);
  const utf8 = new TextEncoder();
  for (const r of workerData.reads) {
    // The rows become one JSON text (SQLite's arrays are JSON already) whose bytes are moved, not
    // copied: the build's thread then parses it once instead of receiving 9 strings per guest.
    const parts = [];
    for (const g of stmt.all({ clusterId: r.clusterId, after: r.after })) {
      parts.push('{"vmid":' + g.vmid + ',"ts":' + g.ts + ',"uptime":' + g.uptime + ',"cpu":' + g.cpu + ',"mem":' + g.mem +
        ',"disk":' + g.disk + ',"ni":' + g.ni + ',"no":' + g.no + ',"dr":' + g.dr + ',"dw":' + g.dw + '}');
    }
    const bytes = utf8.encode('[' + parts.join(',') + ']');
    parentPort.postMessage({ clusterId: r.clusterId, bytes }, [bytes.buffer]);
  }
  parentPort.postMessage({ done: true });
} catch (e) {
  parentPort.postMessage({ error: String(e && e.message) });
} finally {
  db.close();
}
`;

const utf8 = new TextDecoder();

/** A reader for the database file `file` (each call runs one worker thread to completion). */
export function createRecentReader(file: string): RecentReader {
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  return (reads, onCluster) =>
    new Promise((resolve, reject) => {
      const w = new Worker(READER_SOURCE, { eval: true, workerData: { driver, file, sql: PACKED_GUEST_SAMPLES_SQL, reads } });
      let settled = false;
      w.on('message', (m: { clusterId?: number; bytes?: Uint8Array; done?: true; error?: string }) => {
        if (settled) return;
        if (m.error !== undefined) {
          settled = true;
          reject(new Error(`reading recent samples: ${m.error}`));
        } else if (m.done) {
          settled = true;
          resolve();
        } else {
          try {
            onCluster(m.clusterId!, JSON.parse(utf8.decode(m.bytes)) as PackedGuestSamples[]);
          } catch (err) {
            settled = true;
            reject(err instanceof Error ? err : new Error(String(err)));
          }
        }
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
