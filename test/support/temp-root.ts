// vitest globalSetup: every test file's temporary directories (os.tmpdir()) go under one
// directory for the run, removed at the end, so no test can leave files behind in /tmp, even one
// that does not clean up after itself or a run that is interrupted between its tests.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function setup(): () => void {
  const root = mkdtempSync(join(tmpdir(), 'pmi-test-run-'));
  const previous = process.env.TMPDIR;
  // The worker processes start after this and inherit it; os.tmpdir() reads it on every call.
  process.env.TMPDIR = root;
  return () => {
    if (previous === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = previous;
    rmSync(root, { recursive: true, force: true });
  };
}
