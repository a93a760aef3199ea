// The inbox: watches new/, claims and validates dropped requests, runs accepted ones through the
// executor, and resumes unfinished ones after a restart. start()/stop()/rescan().
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { errorMessage } from '../errors.ts';
import type { PveClient } from '../pve/pve-client.types.ts';
import type { Database } from '../store/schema.ts';
import { findAction, findByFile, inboxDb, listUnfinished } from './action.repository.ts';
import { createExecutor } from './executor.ts';
import type { ActionsSettings, InboxContext, InboxFleet, InboxHooks } from './inbox-context.ts';
import { createInboxWatcher, type InboxWatcher } from './inbox-watcher.ts';
import { processClaimed, recordStuck } from './intake.ts';
import { linkSettingFindings, readLinkSettings } from './kernel-settings.ts';
import { claim, cleanTmp, listCur, listNew, openMaildir, type NewEntry } from './maildir.ts';
import { pruneActions } from './prune-actions.ts';
import { runAction } from './run-action.ts';
import { createUserLookup } from './submitter.ts';
import { ownersInTurn } from './take-turns.ts';
import { backoffMs } from './transient.ts';

export const TMP_MAX_AGE_MS = 36 * 3600 * 1000;
/** While a scan works through a long new/, it lists new/ again at most this often when something arrived. */
export const RELIST_MS = 100;
/** Submitters whose files are taken in at the same time (one file each at a time). */
export const INTAKE_LANES = 4;
const PRUNE_EVERY_MS = 3600_000;

export interface InboxDeps {
  /** The inbox directory (tmp/ new/ cur/ done/ failed/ rejected/ are created inside). */
  dir: string;
  db: Kysely<Database>;
  clients: Map<string, PveClient>;
  log: Logger;
  /** Audit trail (see audit-log.ts); defaults to log.child({ audit: true }). */
  auditLog?: Logger;
  /** Epoch milliseconds. */
  now: () => number;
  config: ActionsSettings;
  /** Tests: crash points and timing probes. */
  hooks?: InboxHooks;
  /** Tests: no file watcher (rescan() only), to prove the rescan alone finds everything. */
  watch?: boolean;
  random?: () => number;
  passwdFile?: string;
  groupFile?: string;
  /** Tests: the longest single timer (default 2^31-1 ms, Node's limit: 24.8 days). */
  maxTimerMs?: number;
  /** Tests: how often tmp/ is cleaned (default every 10 minutes). */
  tmpCleanEveryMs?: number;
  /** leases (#17): set when other agents share the database. */
  fleet?: InboxFleet;
}

export interface Inbox {
  start(): Promise<void>;
  stop(): Promise<void>;
  /**
   * Looks at new/ (call it every cycle, after the inventory was stored: watcher events can be
   * lost) and removes old tmp/ files. The first call also opens the gate for a fresh database.
   */
  rescan(): Promise<void>;
  /** Resolves when no request is being worked on (tests, benchmarks). */
  idle(): Promise<void>;
}

/** Creates the inbox; nothing happens until start(). */
export function createInbox(deps: InboxDeps): Inbox {
  const log = deps.log;
  const maxTimerMs = deps.maxTimerMs ?? 2 ** 31 - 1;
  const timers = new Set<NodeJS.Timeout>();
  const sleepers = new Set<() => void>();
  let stopping = false;
  let started = false;
  let watcher: InboxWatcher | undefined;
  let seq = 0;
  let lastTmpClean = -Infinity;
  let lastResume = -Infinity;
  let lastPrune = -Infinity;
  /** Claimed files whose intake failed on something that may pass (database busy, disk full): retried with backoff. */
  const retries = new Map<string, { attempt: number; claimedAt: number }>();
  /** Entries of new/ the agent cannot claim (recorded once): skipped until they change. */
  const stuck = new Set<string>();
  const timersFor = new Map<string, NodeJS.Timeout>();
  /** Owners of the entries of new/ seen so far (re-listing a flooded new/ lstats only newcomers). */
  const owners = new Map<string, NewEntry>();
  let inventoryReady = false;
  const waiting = new Set<string>();
  let scanning: Promise<void> | undefined;
  let scanAgain = false;
  /** Wakes a scan waiting on its intake lanes when something arrived (rescan() during a scan). */
  let wake: (() => void) | undefined;
  let lastLaneOwner: number | undefined;
  let ctx: InboxContext | undefined;

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      if (stopping) return resolve();
      const done = () => {
        clearTimeout(t);
        timers.delete(t);
        sleepers.delete(done);
        resolve();
      };
      // Timers hold at most 2^31-1 ms; longer waits wake early and the caller loops.
      const t = setTimeout(done, Math.min(Math.max(0, ms), maxTimerMs));
      timers.add(t);
      sleepers.add(done);
    });

  const executor = createExecutor({
    concurrency: deps.config.concurrency,
    onError: (id, err) => log.error({ err, id }, `action ${id} stopped on an unexpected error: ${errorMessage(err)} (it is resumed by a later rescan or the next start)`),
  });

  function schedule(id: string, cluster: string | null, vmid: number | null, notBefore: number | null): void {
    const c = ctx!;
    if (executor.has(id) || waiting.has(id) || stopping) return;
    const wait = notBefore === null ? 0 : notBefore * 1000 - c.now();
    const go = () =>
      executor.submit(`${cluster}/${vmid}`, id, async () => {
        await runAction(c, id);
        // runAction gives its turn back when notBefore is still ahead (a clock step, a re-read
        // row): arm the timer again once the executor has let go of the id.
        setImmediate(() => void requeue(id));
      });
    if (wait <= 0) return go();
    // Waiting for notBefore holds neither the guest's turn nor a concurrency slot. Timers hold at
    // most 2^31-1 ms (24.8 days): a longer wait re-arms instead of firing early.
    waiting.add(id);
    const t = setTimeout(() => {
      timers.delete(t);
      waiting.delete(id);
      if (stopping) return;
      if (notBefore! * 1000 > c.now()) schedule(id, cluster, vmid, notBefore);
      else go();
    }, Math.min(wait, maxTimerMs));
    timers.add(t);
  }

  async function requeue(id: string): Promise<void> {
    if (stopping) return;
    const row = await findAction(ctx!.db, id).catch(() => undefined);
    if (row && !row.outcome && row.state === 'queued' && (!deps.fleet || row.claimed_by === deps.fleet.agentId)) schedule(row.id, row.cluster, row.vmid, row.not_before);
  }

  /** leases (#17): with other agents on the database, only rows of clusters held here are run here. */
  const runsHere = (row: { cluster: string | null }) => !deps.fleet || (row.cluster !== null && deps.fleet.holds(row.cluster));

  /** Re-schedules unfinished rows nobody works on (e.g. after an unexpected error in a job). */
  async function resumeOrphans(): Promise<void> {
    for (const row of await listUnfinished(ctx!.db)) if (runsHere(row)) schedule(row.id, row.cluster, row.vmid, row.not_before);
    // A request whose outcome is recorded but whose result file could not be written (disk full,
    // permissions) is still in cur/: write its result now rather than at the next start.
    for (const name of await listCur(ctx!.md)) {
      const row = await findByFile(ctx!.db, name, deps.fleet?.agentId);
      if (row?.outcome) await intake(name, ctx!.now());
    }
  }

  async function scanOnce(): Promise<void> {
    const c = ctx!;
    if (c.now() - lastTmpClean > (deps.tmpCleanEveryMs ?? 10 * 60_000)) {
      lastTmpClean = c.now();
      const n = await cleanTmp(c.md, c.now(), TMP_MAX_AGE_MS);
      if (n) log.info({ removed: n }, 'removed tmp/ leftovers older than 36 h');
    }
    // leases (#17): in a fleet, rows taken over from another agent and results finished by another
    // agent are looked for at every scan (each cycle), not every minute
    if (c.now() - lastResume > (deps.fleet ? 0 : 60_000)) {
      lastResume = c.now();
      await resumeOrphans();
    }
    if (c.now() - lastPrune > PRUNE_EVERY_MS) {
      lastPrune = c.now();
      const r = await pruneActions({ db: c.db, md: c.md, nowMs: c.now(), retentionDays: c.config.retentionDays, stopping: () => stopping, ...(deps.fleet && { agentId: deps.fleet.agentId }) }); // leases (#17): only this inbox's files
      if (r.rows || r.files) log.info(r, `pruned actions older than ${c.config.retentionDays} days`);
    }
    for (const [cur, r] of retries) if (!timersFor.has(cur)) await intake(cur, r.claimedAt);
    // Intake works in lanes, one per submitter (up to INTAKE_LANES at once, owners taking turns for
    // a lane): a flood of one user occupies one lane, so another user's request starts at once
    // instead of waiting behind it, or behind the file of the flood being written right now. When
    // something arrives meanwhile, new/ is listed again (at most every RELIST_MS).
    const queues = new Map<number, NewEntry[]>();
    const lanes = new Map<number, Promise<void>>();
    const inFlight = new Set<string>();
    const fill = async () => {
      queues.clear();
      for (const e of await pendingEntries(c)) {
        if (inFlight.has(stuckKey(e))) continue;
        const q = queues.get(e.uid);
        if (q) q.push(e);
        else queues.set(e.uid, [e]);
      }
    };
    const lane = async (uid: number) => {
      for (let e = queues.get(uid)?.shift(); e && !stopping; e = queues.get(uid)?.shift()) {
        const key = stuckKey(e);
        inFlight.add(key);
        try {
          await takeIn(c, e);
        } finally {
          inFlight.delete(key);
        }
      }
    };
    await fill();
    let listedAt = c.now();
    for (;;) {
      for (const uid of ownersInTurn([...queues.keys()], lastLaneOwner)) {
        if (lanes.size >= INTAKE_LANES || stopping) break;
        if (lanes.has(uid) || !queues.get(uid)?.length) continue;
        lastLaneOwner = uid;
        lanes.set(uid, lane(uid).finally(() => lanes.delete(uid)));
      }
      if (lanes.size === 0) return;
      const woken = new Promise<void>((resolve) => (wake = resolve));
      await Promise.race([...lanes.values(), woken]);
      wake = undefined;
      if (stopping) break;
      if (scanAgain) {
        const wait = RELIST_MS - (c.now() - listedAt);
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        scanAgain = false;
        await fill();
        listedAt = c.now();
      }
    }
    await Promise.all(lanes.values());
  }

  async function takeIn(c: InboxContext, entry: NewEntry): Promise<void> {
    const claimedAt = c.now();
    const got = await claim(c.md, entry, claimedAt, seq++);
    if (got.ok) return intake(got.cur, claimedAt);
    if (got.gone) return;
    stuck.add(stuckKey(entry));
    await recordStuck(c, entry, got.err).then(
      (first) => first && log.warn({ file: entry.name, uid: entry.uid, code: got.err.code }, `new/${entry.name} cannot be claimed (${got.err.code}); recorded once and skipped`),
      (err: unknown) => log.error({ err, file: entry.name }, `could not record new/${entry.name}: ${errorMessage(err)}`),
    );
  }

  const stuckKey = (e: NewEntry) => `${e.ino}:${e.raw.toString('hex')}`;

  async function pendingEntries(c: InboxContext): Promise<NewEntry[]> {
    return (await listNew(c.md, owners)).filter((e) => !stuck.has(stuckKey(e)));
  }


  async function intake(cur: string, claimedAt: number): Promise<void> {
    const c = ctx!;
    try {
      const r = await processClaimed(c, cur, claimedAt);
      retries.delete(cur);
      if (r.kind === 'accepted' || r.kind === 'in-progress') {
        const row = await findAction(c.db, r.id);
        if (row && !row.outcome) schedule(row.id, row.cluster, row.vmid, row.not_before);
      }
    } catch (err) {
      // Something that may pass (database locked by a reader's write transaction, disk full):
      // retried with backoff, so the request still gets its one outcome without a restart.
      const attempt = (retries.get(cur)?.attempt ?? 0) + 1;
      retries.set(cur, { attempt, claimedAt });
      const delay = backoffMs(attempt, c.config.retryBaseMs, c.random);
      log.error({ err, file: cur, attempt, retryInMs: delay }, `could not process ${cur}: ${errorMessage(err)}; retrying in ${Math.round(delay / 1000)} s`);
      if (stopping || timersFor.has(cur)) return;
      const t = setTimeout(() => {
        timers.delete(t);
        timersFor.delete(cur);
        void rescan();
      }, delay);
      timers.add(t);
      timersFor.set(cur, t);
    }
  }

  /**
   * Requests are only validated against a loaded inventory: until a poll cycle has stored one (the
   * cycle calls rescan() after storing) or the database already holds one from an earlier run,
   * files simply wait in new/ instead of being rejected as "unknown guest".
   */
  async function inventoryLoaded(): Promise<boolean> {
    if (inventoryReady) return true;
    const row = await ctx!.db.selectFrom('clusters').select('id').where('last_ok_at', 'is not', null).limit(1).executeTakeFirst();
    inventoryReady = row !== undefined;
    return inventoryReady;
  }

  function watcherEvent(): void {
    void inventoryLoaded().then((ok) => (ok ? rescan() : undefined));
  }

  /** The per-cycle entry point: marks the inventory as loaded, then scans. */
  async function cycleRescan(): Promise<void> {
    inventoryReady = true;
    return rescan();
  }

  async function rescan(): Promise<void> {
    if (!started || stopping) return;
    if (scanning) {
      scanAgain = true;
      wake?.();
      return scanning;
    }
    scanning = (async () => {
      try {
        do {
          scanAgain = false;
          await scanOnce();
        } while (scanAgain && !stopping);
      } catch (err) {
        log.error({ err }, `inbox scan failed: ${errorMessage(err)}`);
      } finally {
        scanning = undefined;
      }
    })();
    return scanning;
  }

  return {
    async start() {
      const { md, findings } = await openMaildir(deps.dir);
      for (const f of findings) log[f.level]({ dir: deps.dir }, f.message);
      for (const f of linkSettingFindings(await readLinkSettings())) log.warn(f);
      ctx = {
        md,
        db: inboxDb(deps.db),
        clients: deps.clients,
        log,
        audit: deps.auditLog ?? log.child({ audit: true }),
        now: deps.now,
        sleep,
        random: deps.random ?? Math.random,
        config: deps.config,
        lookupUser: createUserLookup({ passwdFile: deps.passwdFile, groupFile: deps.groupFile, now: deps.now }),
        agentUid: process.geteuid?.() ?? 0,
        hooks: deps.hooks ?? {},
        stopping: () => stopping,
        timings: new Map(),
        taskPollIntervalMs: deps.config.taskPollIntervalMs,
        ...(deps.fleet && { fleet: deps.fleet }), // leases (#17)
      };
      started = true;
      // Recovery: unfinished rows first (a known UPID is followed, an unknown outcome checked),
      // then claimed files without a finished row, then whatever waits in new/.
      const unfinished = await listUnfinished(ctx.db);
      if (unfinished.length) log.info({ count: unfinished.length }, 'resuming unfinished actions');
      for (const row of unfinished) if (runsHere(row)) schedule(row.id, row.cluster, row.vmid, row.not_before);
      lastResume = deps.now();
      const inFlight = new Set(unfinished.map((r) => r.file_name));
      for (const cur of await listCur(md)) if (!inFlight.has(cur)) await intake(cur, deps.now());
      if (deps.watch !== false) {
        watcher = createInboxWatcher(md.path('new'), watcherEvent, (err) => log.warn({ err }, 'inbox watcher error (the per-cycle rescan still finds every file)'));
        await watcher.start();
      }
      if (await inventoryLoaded()) await rescan();
      else log.info('no inventory yet: requests in new/ wait for the first poll cycle');
      log.info({ dir: deps.dir, policyRules: deps.config.policy.length }, 'inbox started');
    },
    async stop() {
      if (!started || stopping) return;
      stopping = true;
      await watcher?.stop();
      for (const t of timers) clearTimeout(t);
      timers.clear();
      for (const wake of [...sleepers]) wake();
      await scanning;
      await executor.idle();
      log.info('inbox stopped');
    },
    rescan: cycleRescan,
    idle: async () => {
      await scanning;
      await executor.idle();
    },
  };
}
