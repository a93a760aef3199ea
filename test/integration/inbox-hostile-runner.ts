// The inbox as its own user for the hostile-member tests: started by inbox-hostile.test.ts through
// setpriv as the throw-away agent user (in the submit group), against a database that user owns.
//   PMI_H_INBOX, PMI_H_DB, PMI_H_ACCESS (JSON ClusterAccess[], optional), PMI_H_ACTIONS (JSON actions config)
//   PMI_H_TMPCLEAN_MS (clean tmp/ this often), PMI_H_NOW_OFFSET_FILE (a file holding ms to add to the clock)
import { readFileSync } from 'node:fs';
import { createInbox } from '../../agent/inbox/inbox.ts';
import { openDatabase } from '../../agent/store/open-database.ts';
import pino from 'pino';
import { clientsFor, testActionsConfig, type ClusterAccess } from './inbox-harness.ts';

const env = process.env;
const log = pino({ level: env.PMI_TEST_LOG ?? 'warn' });
const access = JSON.parse(env.PMI_H_ACCESS ?? '[]') as ClusterAccess[];
const offsetFile = env.PMI_H_NOW_OFFSET_FILE;
const now = () => Date.now() + (offsetFile ? Number(readFileSync(offsetFile, 'utf8') || 0) : 0);
const store = await openDatabase(env.PMI_H_DB!);
const clients = clientsFor(access, log);
const inbox = createInbox({
  dir: env.PMI_H_INBOX!,
  db: store.db,
  clients,
  log,
  now,
  config: testActionsConfig(JSON.parse(env.PMI_H_ACTIONS ?? '{}')),
  maxTimerMs: env.PMI_H_MAX_TIMER_MS ? Number(env.PMI_H_MAX_TIMER_MS) : undefined,
  tmpCleanEveryMs: env.PMI_H_TMPCLEAN_MS ? Number(env.PMI_H_TMPCLEAN_MS) : undefined,
});
await inbox.start();
await inbox.rescan();
process.stdout.write('ready\n');
const timer = setInterval(() => void inbox.rescan(), 100);
process.once('SIGTERM', () => {
  clearInterval(timer);
  void (async () => {
    await inbox.stop();
    for (const c of clients.values()) await c.close();
    await store.close();
    process.exit(0);
  })();
});
