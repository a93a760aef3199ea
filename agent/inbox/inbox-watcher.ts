// The only chokidar import: tells the inbox that something arrived in new/.
import { watch, type FSWatcher } from 'chokidar';

export interface InboxWatcher {
  start(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Watches one directory (not recursively) and calls `onChange` when a file appears. Events only
 * trigger a rescan of new/; the rescan is the source of truth, since events can be lost.
 */
export function createInboxWatcher(dir: string, onChange: () => void, onError: (err: unknown) => void): InboxWatcher {
  let watcher: FSWatcher | undefined;
  return {
    async start() {
      watcher = watch(dir, { ignoreInitial: true, depth: 0, followSymlinks: false, awaitWriteFinish: false });
      watcher.on('add', () => onChange());
      watcher.on('error', (err) => onError(err));
      await new Promise<void>((resolve) => watcher!.once('ready', () => resolve()));
    },
    async stop() {
      await watcher?.close();
      watcher = undefined;
    },
  };
}
