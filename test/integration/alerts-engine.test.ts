// The alert engine over a real database file filled by the store's own write path, with faults
// injected into the polled snapshots: each default rule fires and resolves, topology mutes,
// nothing is written while nothing changes, and a runaway rule is stopped and reported.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase, type Store } from '../../agent/store/open-database.ts';
import { writePollRun, writeSnapshot } from '../../agent/store/snapshot.repository.ts';
import { writePollErrors } from '../../agent/store/poll-errors.repository.ts';
import { writeHealthBatch } from '../../agent/store/health.repository.ts';
import { createRuleReader, type RuleReader } from '../../agent/store/rule-reader.ts';
import { createAlertEngine } from '../../agent/alerts/alert-engine.ts';
import { loadCheckedRules } from '../../agent/alerts/rules/rule-set.ts';
import { AlertsConfig } from '../../agent/alerts/alerts-config.schema.ts';
import { createLogger } from '../../agent/log/logger.ts';
import { syntheticSnapshot } from '../../scripts/bench/store-synthetic.ts';
import type { ClusterSnapshot } from '../../agent/poll/cluster-snapshot.ts';

// Day 1 of the synthetic backup disk's 40-day sawtooth (56 % full), so a quiet fleet is quiet.
const T0 = 1_700_100_000 - (1_700_100_000 % 3_456_000) + 86_400;
let dir: string;
let store: Store;
let reader: RuleReader;
let t = T0;

type Fault = (s: ClusterSnapshot) => void;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pmi-alert-engine-'));
  store = await openDatabase(join(dir, 'pmi.sqlite'));
  reader = createRuleReader({ file: join(dir, 'pmi.sqlite'), timeoutMs: 5000 });
});
afterAll(async () => {
  await reader.stop();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

function engine(r = reader, rules = loadCheckedRules({ disabled: [], evalTimeoutMs: 5000 }, store.sqlite).rules) {
  return createAlertEngine({ db: store.db, reader: r, rules, config: AlertsConfig.parse({}), intervalSeconds: 60, now: () => (t + 5) * 1000, log: createLogger({ level: 'silent' }) });
}

/** One agent cycle at the next minute: store a snapshot with the faults (or a failed poll), then evaluate. */
async function cycle(e: ReturnType<typeof engine>, faults: Fault[] = [], poll: 'ok' | 'failed' | 'errors' = 'ok') {
  t += 60;
  if (poll === 'failed') {
    await writePollRun(store.db, { cluster: 'lab', startedAt: t, durationMs: 10_000, requests: 1, errors: 3, endpoint: null, ok: false, error: { code: 'PVE_UNREACHABLE', message: 'connect ECONNREFUSED' } });
  } else {
    const s = syntheticSnapshot({ ts: t, guests: 12 });
    for (const f of faults) f(s);
    await writeSnapshot(store.db, s);
    await writePollRun(store.db, { cluster: 'lab', startedAt: t, durationMs: 100, requests: 5, errors: poll === 'errors' ? 2 : 0, endpoint: s.endpoint, ok: true });
    // what the poller stores for a node answering 596 (poll_errors, one row per problem)
    if (poll === 'errors') await writePollErrors(store.db, 'lab', t, [{ node: 'pve2', endpoint: s.endpoint, path: '/nodes/pve2/status', code: 'PVE_NODE_OFFLINE', message: 'HTTP 596 Connection timed out' }]);
  }
  return e.evaluate();
}

const firing = () =>
  (store.sqlite.prepare("select rule, labels, muted from alert_instances where state = 'firing' order by rule, labels").all() as { rule: string; labels: string; muted: string | null }[])
    .map((r) => `${r.rule} ${Object.values(JSON.parse(r.labels) as Record<string, string>).join('/')}${r.muted ? ` [muted: ${r.muted}]` : ''}`);
const transitions = () => (store.sqlite.prepare('select count(*) as n from alert_transitions').get() as { n: number }).n;

const nodeOffline: Fault = (s) => { s.nodes[1]!.status = 'offline'; };
const guestPaused: Fault = (s) => { s.guests[0]!.status = 'paused'; };
const guestStopped = (k: number): Fault => (s) => { s.guests[k]!.status = 'stopped'; };
const storageDown: Fault = (s) => { s.storages.find((x) => x.node === 'pve3' && x.storage === 'local')!.status = 'unavailable'; };
const storageFull: Fault = (s) => { const x = s.storages.find((y) => y.node === 'pve1' && y.storage === 'local')!; x.used = Math.round((x.total ?? 0) * 0.95); };
const noQuorum: Fault = (s) => { s.info.quorate = false; };

describe('default pack on a real database', () => {
  it('a quiet fleet raises nothing and writes nothing', async () => {
    const e = engine();
    for (let i = 0; i < 5; i++) await cycle(e);
    expect(firing()).toEqual([]);
    expect(transitions()).toBe(0);
  });

  it('faults fire each rule after its `for`, a node offline mutes its guests, and all resolve', async () => {
    const e = engine();
    const faults = [nodeOffline, guestPaused, guestStopped(3), guestStopped(1), storageDown, storageFull, noQuorum];
    for (let i = 0; i < 12; i++) await cycle(e, faults);
    expect(firing()).toEqual([
      'cluster-no-quorum lab',
      'guest-paused lab/pve1/100',
      'guest-stopped-unexpectedly lab/pve1/103',
      'guest-stopped-unexpectedly lab/pve2/101 [muted: node-offline (cluster=lab, node=pve2)]',
      'node-offline lab/pve2',
      'storage-full lab/pve1/local',
      'storage-unavailable lab/pve3/local',
    ]);
    const before = transitions();
    for (let i = 0; i < 3; i++) await cycle(e, faults);
    expect(transitions()).toBe(before); // steady: no writes
    for (let i = 0; i < 35; i++) await cycle(e);
    expect(firing()).toEqual([]);
    const resolved = store.sqlite.prepare("select distinct rule from alert_transitions where to_state = 'resolved' order by rule").all().map((r) => (r as { rule: string }).rule);
    expect(resolved).toEqual(['cluster-no-quorum', 'guest-paused', 'guest-stopped-unexpectedly', 'node-offline', 'storage-full', 'storage-unavailable']);
  });

  it('failing polls fire poll-failing, which mutes the stale-data alert; API errors fire node-api-errors', async () => {
    const e = engine();
    for (let i = 0; i < 8; i++) await cycle(e, [], 'failed');
    expect(firing()).toEqual(['data-stale lab [muted: poll-failing (cluster=lab)]', 'poll-failing lab']);
    for (let i = 0; i < 5; i++) await cycle(e);
    expect(firing()).toEqual([]);
    for (let i = 0; i < 8; i++) await cycle(e, [], 'errors');
    expect(firing()).toEqual(['node-api-errors lab/pve2']);
    for (let i = 0; i < 12; i++) await cycle(e);
    expect(firing()).toEqual([]);
  });

  it('an action the agent runs on a guest mutes its alerts while it runs, with why', async () => {
    const e = engine();
    store.sqlite.prepare(`insert into actions (id, cluster, vmid, action, state, received_at, updated_at) values ('req-mute', 'lab', 100, 'migrate', 'running', ?, ?)`).run(t, t);
    for (let i = 0; i < 7; i++) await cycle(e, [guestPaused]);
    expect(firing()).toEqual(['guest-paused lab/pve1/100 [muted: action migrate (req-mute) is running]']);
    store.sqlite.prepare(`update actions set state = 'done', outcome = 'done' where id = 'req-mute'`).run();
    await cycle(e, [guestPaused]);
    expect(firing()).toEqual(['guest-paused lab/pve1/100']);
    for (let i = 0; i < 2; i++) await cycle(e);
    expect(firing()).toEqual([]);
  });

  it('a running backup mutes "guest stopped" by the mode of the guest\'s backup jobs: stop mutes it, snapshot does not, unknown mutes all', async () => {
    const e = engine();
    // the backup jobs as the health tier stores them (one job over all guests; [] removes them)
    const jobs = (modes: string[]) => writeHealthBatch(store.db, {
      cluster: 'lab', ts: t, results: [{ signal: 'backup_jobs', node: '', state: 'ok', kind: 'backup_jobs', excluded: null,
        jobs: modes.map((mode, i) => ({ jobId: `backup-${i}`, enabled: true, schedule: '21:00', storage: 'nas', mode, all: true, vmids: [], pool: null, node: null, exclude: [], comment: null, nextRun: null, rpoS: 26 * 3600 })) }],
    });
    // vzdump holds the guest's `backup` lock while it saves it; in stop mode the guest is stopped meanwhile
    const inBackup: Fault = (s) => { s.guests[2]!.lock = 'backup'; s.guests[2]!.status = 'stopped'; };
    const stoppedRow = (muted: string | null) => `guest-stopped-unexpectedly lab/pve3/102${muted ? ` [muted: ${muted}]` : ''}`;

    await jobs(['stop']);
    await cycle(e);
    await cycle(e, [inBackup, guestPaused]);
    // stop mode mutes "guest stopped" only: the paused guest (not in a backup) still fires later
    expect(firing()).toEqual([stoppedRow('the guest is locked for backup (backup in stop mode)')]);
    await cycle(e); // the backup ended, the guest runs again
    expect(firing()).toEqual([]);

    await jobs(['snapshot']);
    await cycle(e, [inBackup]);
    expect(firing()).toEqual([stoppedRow(null)]); // a snapshot backup does not stop a guest: this is real
    await cycle(e);

    await jobs(['stop', 'snapshot']); // two jobs disagree: mode unknown, any running backup mutes (as without jobs)
    await cycle(e, [inBackup]);
    expect(firing()).toEqual([stoppedRow('the guest is locked for backup (backup mode unknown)')]);
    await cycle(e);
    await jobs([]);
    await cycle(e);
    expect(firing()).toEqual([]);
  });

  it('a failed task fires once per task and resolves an hour later', async () => {
    const e = engine();
    const upid = `UPID:pve1:00001234:00000000:${(t + 30).toString(16).toUpperCase()}:qmmigrate:105:alice@pve:`;
    const task: Fault = (s) => { s.tasks = [{ upid, node: 'pve1', type: 'qmmigrate', objectId: '105', vmid: 105, user: 'alice@pve', tokenid: null, starttime: t - 20, endtime: t - 10, status: 'migration aborted', ok: false }]; };
    await cycle(e, [task]);
    expect(firing()).toEqual([`task-failed lab/pve1/${upid}`]);
    for (let i = 0; i < 61; i++) await cycle(e);
    expect(firing()).toEqual([]);
  });

  it('a runaway rule is stopped at its limit and reported; the other rules still run', async () => {
    const userDir = join(dir, 'user-rules');
    mkdirSync(userDir, { recursive: true });
    writeFileSync(join(userDir, 'runaway.sql'), '-- severity: info\n-- labels: x\n-- summary: never\nwith recursive r(x) as (select 1 union all select x + 1 from r) select count(*) as x from r\n');
    const rules = loadCheckedRules({ directory: userDir, disabled: [], evalTimeoutMs: 1000 }, store.sqlite).rules;
    // 1 s: a limit, not a timing assertion (the good rules take about a millisecond here)
    const short = createRuleReader({ file: join(dir, 'pmi.sqlite'), timeoutMs: 1000 });
    try {
      const e = engine(short, rules);
      const s1 = await cycle(e, [guestStopped(3)]);
      expect(s1.failed.map((f) => [f.rule, f.code])).toEqual([['runaway', 'RULE_TIMEOUT']]);
      expect(s1.failed[0]!.message).toContain('stopped after 1000 ms');
      expect(s1.rules).toBe(rules.length);
      expect(firing()).toContain('guest-stopped-unexpectedly lab/pve1/103');
      // the next cycle gets a fresh process: the good rules keep working
      const s2 = await cycle(e, []);
      expect(s2.failed.map((f) => f.rule)).toEqual(['runaway']);
      expect(firing()).toEqual([]);
    } finally {
      await short.stop();
    }
    for (let i = 0; i < 3; i++) await cycle(engine());
  });

  it('rule evaluation cannot change data (read-only connection)', async () => {
    const run = await reader.run("select * from clusters where 0 = (select count(*) from (select 1))", {});
    expect(run.ok).toBe(true);
    const write = await reader.run("update clusters set name = 'x' returning name", {});
    expect(write).toMatchObject({ ok: false, code: 'RULE_ERROR' });
  });
});
