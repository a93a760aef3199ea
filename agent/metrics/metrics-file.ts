// The metrics file's side effects: an atomic replace (temp file + rename in the same directory,
// so a scrape reads the old file or the new one, never half of one) and its removal.
import { closeSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** Where the next version is written before the rename: a dot file next to the target. */
export function tempPathFor(file: string): string {
  return join(dirname(file), `.${basename(file)}.tmp-${process.pid}`);
}

/**
 * Replaces `file` atomically with what `fill` writes through the function it is given (chunks
 * in order; each is written before the call returns, so a reused buffer is fine). Synchronous:
 * on a tmpfs writing is a memory copy, and the text is produced synchronously anyway.
 * The directory must exist (tmpfiles.d creates /run/pmi-agent). Returns fill's result.
 */
export function replaceFileAtomic<T>(file: string, fill: (write: (chunk: Uint8Array) => void) => T): T {
  const tmp = tempPathFor(file);
  let fd: number | undefined;
  try {
    fd = openSync(tmp, 'w');
    const out = fd;
    const result = fill((chunk) => {
      for (let done = 0; done < chunk.length; ) done += writeSync(out, chunk, done, chunk.length - done);
    });
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, file);
    return result;
  } catch (err) {
    if (fd !== undefined) closeSync(fd);
    rmSync(tmp, { force: true });
    throw err;
  }
}

/** Replaces `file` with `content` atomically (see replaceFileAtomic). */
export function writeFileAtomic(file: string, content: string | Uint8Array): void {
  replaceFileAtomic(file, (write) => write(typeof content === 'string' ? Buffer.from(content) : content));
}

/** Removes the file (and a temp file this process may have left); a missing file is fine. */
export async function removeMetricsFile(file: string): Promise<void> {
  await rm(file, { force: true });
  await rm(tempPathFor(file), { force: true });
}
