// The series reader's thread (site-series-reader.ts): the guest tier reads of a full site build
// on a read-only connection of its own, so SQLite's encoding of the next bucket's series runs on
// the second core while the main thread renders the current one. Started and stopped by the reader.
import { parentPort, workerData } from 'node:worker_threads';
import { openReadOnlyDatabase } from './open-database.ts';
import { queryGuestTierSeries, type GuestSeriesRead } from './site-series.repository.ts';

const { file, cacheKiB } = workerData as { file: string; cacheKiB: number };
const store = openReadOnlyDatabase(file, cacheKiB);
// One read at a time, in the order asked (the reader keeps at most a bucket ahead).
let queue = Promise.resolve();
parentPort!.on('message', (m: { id: number; read: GuestSeriesRead } | 'close') => {
  queue = queue.then(async () => {
    if (m === 'close') {
      await store.close();
      parentPort!.close();
      return;
    }
    try {
      const { clusterId, lo, hi, q, part } = m.read;
      parentPort!.postMessage({ id: m.id, rows: await queryGuestTierSeries(store.db, clusterId, lo, hi, q, part) });
    } catch (err) {
      parentPort!.postMessage({ id: m.id, error: err instanceof Error ? err.message : String(err) });
    }
  });
});
parentPort!.postMessage('ready');
