// The entry of a worker thread started from the TypeScript sources (agent/worker-module.ts, only in
// a checkout: tsx is a dev dependency and this file is not part of the build). Node 20 does not
// apply the parent's loader (`--import tsx`) to worker threads, so the thread registers tsx itself
// and then imports the worker module, whose URL is its first argument (removed again, so the
// worker sees the arguments it was given). Plain JS: it runs before any loader exists.
/* global process -- a Node module */
const [moduleUrl] = process.argv.splice(2, 1);
const { register } = await import('tsx/esm/api');
register();
await import(moduleUrl);
