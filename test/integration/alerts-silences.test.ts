// Silences through the real inbox: dropped the Maildir way, checked against alerts.silencePolicy,
// recorded with a result file, an actions row and an audit line, ended by another request; the
// engine then keeps a silenced alert from being notified.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { rmSync } from 'node:fs';
import pino from 'pino';
import { createInbox, type Inbox } from '../../agent/inbox/inbox.ts';
import { setSilencePolicy } from '../../agent/alerts/silence-intake.ts';
import { SilencePolicyRule } from '../../agent/alerts/alerts-config.schema.ts';
import { activeSilences, alertsDb } from '../../agent/store/alerts.repository.ts';
import type { Store } from '../../agent/store/open-database.ts';
import { drop, openTestDb, resultOf, results, tempDir, testActionsConfig, testLog, waitFor } from './inbox-harness.ts';

let root: string;
let dir: string;
let store: Store;
let inbox: Inbox;
const audit: Array<Record<string, unknown>> = [];
const NOW = Date.UTC(2026, 11, 7, 1, 0);

beforeAll(async () => {
  root = await tempDir('pmi-silences-');
  dir = join(root, 'inbox');
  store = await openTestDb(root);
  // the inbox waits for a first successful poll before it takes requests
  store.sqlite.prepare("insert into clusters (name, first_seen, last_ok_at) values ('lab', ?, ?)").run(NOW / 1000, NOW / 1000);
  setSilencePolicy([SilencePolicyRule.parse({ clusters: ['lab'], maxHours: 24 })]);
  inbox = createInbox({
    dir, db: store.db, clients: new Map(), log: testLog(), now: () => NOW,
    auditLog: pino({ level: 'info' }, { write: (l: string) => void audit.push(JSON.parse(l) as Record<string, unknown>) }),
    config: testActionsConfig(),
  });
  await inbox.start();
});
afterAll(async () => {
  await inbox?.stop();
  await store?.close();
  setSilencePolicy([]);
  rmSync(root, { recursive: true, force: true });
});

const silence = (id: string, over: object = {}) => ({
  version: 1, kind: 'silence', id, matchers: [{ label: 'cluster', value: 'lab' }, { label: 'alertname', op: '=~', value: 'guest-.*' }],
  expires: new Date(NOW + 2 * 3600_000).toISOString(), reason: 'backup window', ...over,
});

describe('silences through the inbox', () => {
  it('a silence within the policy is recorded, with a result file, an actions row and an audit line', async () => {
    await drop(dir, silence('sil-1'));
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
    await drop(dir, noExpiry);
    expect((await resultOf(dir, 'sil-2')).folder).toBe('rejected');
    await drop(dir, silence('sil-3', { reason: '' }));
    expect(JSON.stringify(await resultOf(dir, 'sil-3'))).toContain('say why');
    await drop(dir, silence('sil-4', { matchers: [{ label: 'cluster', value: 'prod' }] }));
    expect(JSON.stringify(await resultOf(dir, 'sil-4'))).toContain('no silence policy rule allows');
    await drop(dir, silence('sil-5', { expires: new Date(NOW + 48 * 3600_000).toISOString() }));
    expect(JSON.stringify(await resultOf(dir, 'sil-5'))).toContain('at most 24 h');
    expect((await activeSilences(alertsDb(store.db), NOW / 1000)).map((s) => s.id)).toEqual(['sil-1']);
  });

  it('ended by another request; a duplicate id is refused', async () => {
    await drop(dir, { version: 1, kind: 'end-silence', id: 'end-1', silence: 'sil-1', reason: 'backup finished early' });
    expect((await resultOf(dir, 'end-1')).folder).toBe('done');
    expect(await activeSilences(alertsDb(store.db), NOW / 1000)).toEqual([]);
    await drop(dir, silence('sil-1'));
    // done/sil-1.json of the first silence is still there: wait for the duplicate's own result
    const dup = await waitFor(async () => (await results(dir)).find((r) => r.id === 'sil-1' && r.folder === 'rejected'), 20_000, 'the duplicate sil-1 rejected');
    expect(JSON.stringify(dup)).toContain('duplicate id');
    expect(store.sqlite.prepare("select count(*) as n from actions where error_code = 'ACTION_DUPLICATE'").get()).toEqual({ n: 1 });
  });
});
