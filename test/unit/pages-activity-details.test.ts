// Issue 14 item 6: action parameters, durations and messages read well; task filters offer what
// the rows hold.
import { describe, expect, it } from 'vitest';
import { actionDuration, formatActionParams, splitUpid, upidShort } from '../../agent/site/build-activity-details.ts';
import { buildActionRows, buildTaskRows } from '../../agent/site/build-activity-model.ts';
import { taskFilterOptions } from '../../agent/site/build-task-filters.ts';

const UPID = 'UPID:pve1:0000A1B2:0001C3D4:65F0A000:qmshutdown:107:pmi@pve!agent:';

describe('action details', () => {
  it('formats parameters people asked for', () => {
    expect(formatActionParams('{"timeoutSeconds":120,"forceStop":true}')).toBe('timeout 2m 0s, force stop after timeout');
    expect(formatActionParams('{"name":"pre-upgrade","includeRam":false}')).toBe('snapshot "pre-upgrade", without RAM');
    expect(formatActionParams('{"target":"pve2","online":true}')).toBe('to node pve2, online');
    expect(formatActionParams(null)).toBe('');
    expect(formatActionParams('not json')).toBe('');
  });

  it('takes the UPID out of the message and keeps it apart', () => {
    expect(splitUpid(`${UPID} task failed: VM quit`, null)).toEqual({ message: 'task failed: VM quit', upid: UPID.replace(/:$/, '') });
    expect(splitUpid(`gave up (UPID: ${UPID}) after 3 attempts`, 'stored')).toEqual({ message: 'gave up after 3 attempts', upid: 'stored' });
    expect(splitUpid('request expired (UPID: none known; no task of ours was found)', null).upid).toBe('');
    expect(upidShort(UPID)).toBe('pve1 qmshutdown 107');
  });

  it('measures the duration from the Proxmox call to the end', () => {
    expect(actionDuration({ received_at: 100, posted_at: 110, task_ended_at: 150, finished_at: 155 }, 999)).toEqual({ text: '45s', v: 45 });
    expect(actionDuration({ received_at: 100, posted_at: 110, task_ended_at: null, finished_at: null }, 200).text).toBe('1m 30s so far');
    expect(actionDuration({ received_at: 100, posted_at: null, task_ended_at: null, finished_at: null }, 200).text).toBe('–');
  });

  it('adds guest name, parameters, duration and the UPID to action rows', () => {
    const [row] = buildActionRows([{
      id: 'a1', cluster: 'c1', vmid: 107, action: 'shutdown', reason: '', submitter: 'alice', state: 'done', outcome: 'done', upid: UPID,
      error_code: null, message: `${UPID} OK`, received_at: 1000, finished_at: 1060, updated_at: 1060, params: '{"timeoutSeconds":60}', posted_at: 1001, task_ended_at: 1050,
    }], new Set(['c1/107']), new Set(['c1']), (p) => p, { guestNames: new Map([['c1/107', 'db-1']]), now: 2000 });
    expect(row).toMatchObject({ guestName: 'db-1', params: 'timeout 1m 0s', duration: { text: '59s', v: 59 }, message: 'OK', upid: UPID, upidShort: 'pve1 qmshutdown 107' });
  });
});

describe('task rows and filters', () => {
  it('shows guest names and offers the states, types and nodes present', () => {
    const t = (upid: string, type: string, ok: number | null, node: string, vmid: number | null) => ({ upid, cluster_id: 1, node, type, vmid, user: 'root@pam', tokenid: null, starttime: 100, endtime: ok === null ? null : 120, status: ok === 0 ? 'err' : 'OK', ok });
    const rows = buildTaskRows([t('u1', 'vzdump', 0, 'pve2', 101), t('u2', 'qmstart', 1, 'pve1', 102), t('u3', 'qmstop', null, 'pve1', null)], new Map([[1, 'c1']]), new Set(['c1/101']), (p) => p, 200, new Map([['c1/101', 'web-1']]));
    expect(rows.map((r) => r.guestName)).toEqual(['web-1', '', '']);
    expect(taskFilterOptions(rows)).toEqual({ states: ['failed', 'running', 'ok'], types: ['qmstart', 'qmstop', 'vzdump'], nodes: [{ value: 'c1/pve1', text: 'pve1' }, { value: 'c1/pve2', text: 'pve2' }] });
  });
});
