// A tiny inbox process for the crash test: starts the inbox against the simulator and, when told
// by PMI_CRASH_AT (beforePost | afterPost | duringFollow | beforeResult), SIGKILLs itself at that
// point of the action PMI_CRASH_ID — the way `kill -9` or a power cut would.
//   PMI_CRASH_ACCESS (JSON ClusterAccess[]), PMI_CRASH_INBOX, PMI_CRASH_DB
//   PMI_CRASH_STALL_AFTER_POST_MS: wait this long after the POST answered, as a loaded machine
//   would, so the task has ended before the first status poll.
import { createInbox } from '../../agent/inbox/inbox.ts';
import type { InboxHooks } from '../../agent/inbox/inbox-context.ts';
import { openDatabase } from '../../agent/store/open-database.ts';
import { clientsFor, testActionsConfig, testLog, type ClusterAccess } from './inbox-harness.ts';

const env = process.env;
const access = JSON.parse(env.PMI_CRASH_ACCESS ?? '[]') as ClusterAccess[];
const at = env.PMI_CRASH_AT;
const target = env.PMI_CRASH_ID;
const stallAfterPostMs = Number(env.PMI_CRASH_STALL_AFTER_POST_MS ?? 0);

const die = (point: string, id: string) => {
  if (point === at && (!target || id === target)) {
    process.stdout.write(`crash ${point} ${id}\n`);
    process.kill(process.pid, 'SIGKILL');
  }
};
const hooks: InboxHooks = {
  beforePost: (id) => die('beforePost', id),
  afterPost: async (id) => {
    die('afterPost', id);
    if (stallAfterPostMs > 0) await new Promise((res) => setTimeout(res, stallAfterPostMs));
  },
  duringFollow: (id) => die('duringFollow', id),
  beforeResult: (id) => die('beforeResult', id),
};

const store = await openDatabase(env.PMI_CRASH_DB!);
const clients = clientsFor(access, testLog());
const inbox = createInbox({
  dir: env.PMI_CRASH_INBOX!,
  db: store.db,
  clients,
  log: testLog(),
  now: () => Date.now(),
  config: testActionsConfig({ concurrency: 4, retryBaseMs: 50 }),
  hooks,
});
await inbox.start();
process.stdout.write('ready\n');
const timer = setInterval(() => void inbox.rescan(), 200);
process.once('SIGTERM', () => {
  clearInterval(timer);
  void (async () => {
    await inbox.stop();
    for (const c of clients.values()) await c.close();
    await store.close();
    process.exit(0);
  })();
});
