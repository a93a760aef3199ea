// The metrics file's side effects: an atomic replace (temp file + rename in the same directory,
// so a scrape reads the old file or the new one, never half of one) and its removal.
import { rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** Where the next version is written before the rename: a dot file next to the target. */
export function tempPathFor(file: string): string {
  return join(dirname(file), `.${basename(file)}.tmp-${process.pid}`);
}

/** Replaces `file` with `content` atomically. The directory must exist (tmpfiles.d creates it). */
export async function writeFileAtomic(file: string, content: string | Uint8Array): Promise<void> {
  const tmp = tempPathFor(file);
  try {
    await writeFile(tmp, content);
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true }).catch(() => undefined);
    throw err;
  }
}

/** Removes the file (and a temp file this process may have left); a missing file is fine. */
export async function removeMetricsFile(file: string): Promise<void> {
  await rm(file, { force: true });
  await rm(tempPathFor(file), { force: true });
}
