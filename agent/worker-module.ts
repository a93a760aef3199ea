// Worker threads as ordinary modules. `new Worker(url)` takes a file, not an import, so tsc's
// rewriteRelativeImportExtensions does not touch it: in the built application (plain tsc emit,
// scripts/build.ts) the worker is `x-worker.js` beside its compiled parent and needs nothing; in
// the checkout (tsx, vitest) it is `x-worker.ts` and needs the TypeScript loader in its thread,
// which agent/worker-from-sources.js registers before importing it. The parent names the source
// file, like an import; which one runs is decided by the parent's own URL (a .ts parent runs from
// sources), never by probing the file system.
import { Worker, type WorkerOptions } from 'node:worker_threads';

export interface WorkerModule {
  /** The file the thread starts. */
  url: URL;
  /** Arguments for the thread (the worker module's URL first when it goes through the loader). */
  argv: string[];
}

/**
 * The worker for `specifier` (a relative path ending in .ts, like an import) of the module at
 * `parentUrl` (its import.meta.url).
 */
export function workerModule(parentUrl: string, specifier: string, argv: readonly string[] = []): WorkerModule {
  if (!/^\.\.?\/.*\.ts$/.test(specifier)) throw new Error(`worker module ${specifier}: expected a relative path ending in .ts`);
  if (!new URL(parentUrl).pathname.endsWith('.ts')) return { url: new URL(specifier.replace(/\.ts$/, '.js'), parentUrl), argv: [...argv] };
  return { url: new URL('./worker-from-sources.js', import.meta.url), argv: [new URL(specifier, parentUrl).href, ...argv] };
}

/** Starts the worker module `specifier` of the module at `parentUrl` (see workerModule). */
export function startWorker(parentUrl: string, specifier: string, options: Omit<WorkerOptions, 'eval'> = {}): Worker {
  const m = workerModule(parentUrl, specifier, (options.argv ?? []).map(String));
  return new Worker(m.url, { ...options, argv: m.argv });
}
