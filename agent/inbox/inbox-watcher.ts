// Tells the inbox that something changed in new/. Plain fs.watch (inotify on Linux), not chokidar:
// chokidar re-reads the whole directory on every event, which in a new/ flooded with 10,000 files
// delayed the event for another user's request by seconds (issue 11). Events only trigger a rescan
// of new/; the rescan is the source of truth, since events can be lost.
import { watch, type FSWatcher } from 'node:fs';

export interface InboxWatcher {
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** Watches one directory (not recursively) and calls `onChange` on any entry appearing or leaving. */
export function createInboxWatcher(dir: string, onChange: () => void, onError: (err: unknown) => void): InboxWatcher {
  let watcher: FSWatcher | undefined;
  return {
    async start() {
      watcher = watch(dir, { persistent: true }, () => onChange());
      watcher.on('error', (err) => onError(err));
    },
    async stop() {
      watcher?.close();
      watcher = undefined;
    },
  };
}
