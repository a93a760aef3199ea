// Silences through the real inbox: dropped the Maildir way by throw-away submitters (files owned by
// their uids, named by a passwd/group file of the test), checked against actions.policy rules that
// grant `silence` (#16 item 5: the same policy as actions), recorded with a result file, an actions
// row and an audit line, ended by another request.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { rmSync } from 'node:fs';
import { chown, rename, stat, writeFile } from 'node:fs/promises';
import pino from 'pino';
import { createInbox, type Inbox } from '../../agent/inbox/inbox.ts';
import { AlertsConfig, SILENCE_POLICY_REMOVED } from '../../agent/alerts/alerts-config.schema.ts';
import { activeSilences, alertsDb } from '../../agent/store/alerts.repository.ts';
import type { Store } from '../../agent/store/open-database.ts';
import { openTestDb, resultOf, results, tempDir, testActionsConfig, testLog, waitFor } from './inbox-harness.ts';

let root: string;
let dir: string;
let store: Store;
let inbox: Inbox;
const audit: Array<Record<string, unknown>> = [];
const NOW = Date.UTC(2026, 11, 7, 1, 0);
// Throw-away submitters: only the test's passwd/group files know them.
const UID = { alice: 61601, bob: 61602, carol: 61603, dave: 61604 } as const;
type Who = keyof typeof UID;

let seq = 0;
/** Drops a request the Maildir way as `who` (the file's owner is their uid). */
async function dropAs(who: Who, content: object): Promise<void> {
  const n = `${NOW}.${process.pid}.sil${seq++}.json`;
  await writeFile(join(dir, 'tmp', n), JSON.stringify(content));
  await chown(join(dir, 'tmp', n), UID[who], UID[who]);
  await rename(join(dir, 'tmp', n), join(dir, 'new', n));
}

beforeAll(async () => {
  root = await tempDir('pmi-silences-');
  dir = join(root, 'inbox');
  store = await openTestDb(root);
  // the inbox waits for a first successful poll before it takes requests
  store.sqlite.prepare("insert into clusters (name, first_seen, last_ok_at) values ('lab', ?, ?)").run(NOW / 1000, NOW / 1000);
  const guest = store.sqlite.prepare("insert into guests (cluster_id, vmid, type, node, name, status, template, tags, maxcpu, maxmem, maxdisk, first_seen, changed_at) values (1, ?, 'qemu', 'pve1', ?, 'running', 0, ?, 1, 1, 1, ?, ?)");
  guest.run(102, 'web1', 'web;prod', NOW / 1000, NOW / 1000);
  guest.run(103, 'db1', 'db', NOW / 1000, NOW / 1000);
  inbox = createInbox({
    dir, db: store.db, clients: new Map(), log: testLog(), now: () => NOW,
    auditLog: pino({ level: 'info' }, { write: (l: string) => void audit.push(JSON.parse(l) as Record<string, unknown>) }),
    passwdFile: join(root, 'passwd'), groupFile: join(root, 'group'),
    config: testActionsConfig({
      policy: [
        // alice, through her group: silences on cluster lab up to a day
        { actions: ['silence'], clusters: ['lab'], groups: ['pmi16oncall'], maxSilenceHours: 24 },
        // bob: only silences pinned to vmid 101
        { actions: ['silence'], vmids: [101], users: ['pmi16bob'] },
        // carol: silences of guests tagged web (the silence pins cluster and vmid)
        { actions: ['silence'], tags: ['web'], users: [UID.carol] },
        // dave: actions, but no silence
        { actions: ['start', 'shutdown'], users: ['pmi16dave'] },
      ],
    }),
  });
  await inbox.start();
  // the users exist for the inbox only (lookups read these files lazily, after start): every one in
  // the submit group (the group of new/), alice also in pmi16oncall
  const submitGid = (await stat(join(dir, 'new'))).gid;
  const names = Object.keys(UID) as Who[];
  await writeFile(join(root, 'passwd'), names.map((n) => `pmi16${n}:x:${UID[n]}:${UID[n]}::/nonexistent:/usr/sbin/nologin`).join('\n') + '\n');
  await writeFile(join(root, 'group'), [`pmi16submit:x:${submitGid}:${names.map((n) => `pmi16${n}`).join(',')}`, 'pmi16oncall:x:61700:pmi16alice', ...names.map((n) => `pmi16${n}:x:${UID[n]}:`)].join('\n') + '\n');
});
afterAll(async () => {
  await inbox?.stop();
  await store?.close();
  rmSync(root, { recursive: true, force: true });
});

const silence = (id: string, over: object = {}) => ({
  version: 1, kind: 'silence', id, matchers: [{ label: 'cluster', value: 'lab' }, { label: 'alertname', op: '=~', value: 'guest-.*' }],
  expires: new Date(NOW + 2 * 3600_000).toISOString(), reason: 'backup window', ...over,
});

describe('silences through the inbox', () => {
  it('a silence within the policy is recorded, with a result file, an actions row and an audit line', async () => {
    await dropAs('alice', silence('sil-1'));
    const r = await resultOf(dir, 'sil-1');
    expect(r.folder).toBe('done');
    expect(JSON.stringify(r)).toContain('silence sil-1 (cluster=\\"lab\\", alertname=~\\"guest-.*\\") active until 2026-12-07T03:00:00.000Z');
    const active = await activeSilences(alertsDb(store.db), NOW / 1000);
    expect(active.map((s) => [s.id, s.reason, s.endsAt])).toEqual([['sil-1', 'backup window', NOW / 1000 + 7200]]);
    expect(store.sqlite.prepare("select action, outcome from actions where id = 'sil-1'").get()).toEqual({ action: 'silence', outcome: 'done' });
    expect(audit.some((a) => a.event === 'silence' && a.id === 'sil-1')).toBe(true);
  });

  it('refused: no expiry, no reason, another cluster, too long', async () => {
    const { expires: _e, ...noExpiry } = silence('sil-2');
    await dropAs('alice', noExpiry);
    expect((await resultOf(dir, 'sil-2')).folder).toBe('rejected');
    await dropAs('alice', silence('sil-3', { reason: '' }));
    expect(JSON.stringify(await resultOf(dir, 'sil-3'))).toContain('say why');
    await dropAs('alice', silence('sil-4', { matchers: [{ label: 'cluster', value: 'prod' }] }));
    expect(JSON.stringify(await resultOf(dir, 'sil-4'))).toContain('no rule of actions.policy allows pmi16alice to silence cluster prod');
    await dropAs('alice', silence('sil-5', { expires: new Date(NOW + 48 * 3600_000).toISOString() }));
    expect(JSON.stringify(await resultOf(dir, 'sil-5'))).toContain('actions.policy allows at most 24 h');
    expect((await activeSilences(alertsDb(store.db), NOW / 1000)).map((s) => s.id)).toEqual(['sil-1']);
  });

  it('the policy\'s selectors: users, groups, vmids and tags; an action grant is no silence grant', async () => {
    const vm = (id: string, vmid: string) => silence(id, { matchers: [{ label: 'cluster', value: 'lab' }, { label: 'vmid', value: vmid }] });
    await dropAs('bob', silence('bob-1'));
    expect(JSON.stringify(await resultOf(dir, 'bob-1'))).toContain('no rule of actions.policy allows pmi16bob to silence cluster lab');
    await dropAs('bob', vm('bob-2', '101'));
    expect((await resultOf(dir, 'bob-2')).folder).toBe('done');
    await dropAs('carol', vm('carol-1', '102'));
    expect((await resultOf(dir, 'carol-1')).folder).toBe('done');
    await dropAs('carol', vm('carol-2', '103'));
    expect(JSON.stringify(await resultOf(dir, 'carol-2'))).toContain('no rule of actions.policy allows pmi16carol to silence cluster lab, vmid 103');
    await dropAs('dave', silence('dave-1'));
    expect(JSON.stringify(await resultOf(dir, 'dave-1'))).toContain('no rule of actions.policy allows pmi16dave');
    expect(store.sqlite.prepare("select submitter, outcome from actions where id in ('bob-2', 'dave-1') order by id").all()).toEqual([
      { submitter: 'pmi16bob', outcome: 'done' }, { submitter: 'pmi16dave', outcome: 'rejected' },
    ]);
    expect((await activeSilences(alertsDb(store.db), NOW / 1000)).map((s) => s.id).sort()).toEqual(['bob-2', 'carol-1', 'sil-1']);
  });

  it('ended by another request under the same policy; a duplicate id is refused', async () => {
    // bob may silence vmid 101 only: he cannot end alice's cluster-wide silence
    await dropAs('bob', { version: 1, kind: 'end-silence', id: 'end-0', silence: 'sil-1', reason: 'not mine' });
    expect(JSON.stringify(await resultOf(dir, 'end-0'))).toContain('no rule of actions.policy allows pmi16bob');
    await dropAs('alice', { version: 1, kind: 'end-silence', id: 'end-1', silence: 'sil-1', reason: 'backup finished early' });
    expect((await resultOf(dir, 'end-1')).folder).toBe('done');
    expect((await activeSilences(alertsDb(store.db), NOW / 1000)).map((s) => s.id).sort()).toEqual(['bob-2', 'carol-1']);
    await dropAs('alice', silence('sil-1'));
    // done/sil-1.json of the first silence is still there: wait for the duplicate's own result
    const dup = await waitFor(async () => (await results(dir)).find((r) => r.id === 'sil-1' && r.folder === 'rejected'), 20_000, 'the duplicate sil-1 rejected');
    expect(JSON.stringify(dup)).toContain('duplicate id');
    expect(store.sqlite.prepare("select count(*) as n from actions where error_code = 'ACTION_DUPLICATE'").get()).toEqual({ n: 1 });
  });
});

describe('the config', () => {
  it('alerts.silencePolicy (never released) is refused with the replacement named', () => {
    const r = AlertsConfig.safeParse({ silencePolicy: [{ clusters: ['lab'] }] });
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.message).toBe(SILENCE_POLICY_REMOVED);
    expect(SILENCE_POLICY_REMOVED).toContain('actions.policy');
  });
});
