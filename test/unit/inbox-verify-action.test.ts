import { describe, expect, it } from 'vitest';
import { ActionRequest } from '../../agent/inbox/action-request.schema.ts';
import type { Observation } from '../../agent/inbox/guest-state.ts';
import { verifyAction } from '../../agent/inbox/verify-action.ts';

const req = (action: string, params?: unknown) => ActionRequest.parse({ version: 1, id: 'a', cluster: 'lab', vmid: 101, action, ...(params ? { params } : {}) });
const owner = { vmid: 101, type: 'qemu', node: 'n1' };
const cur = (c: Observation['current']): Observation => ({ owner, current: c });
const snaps = (...names: string[]): Observation => ({ owner, snapshots: [...names.map((name) => ({ name })), { name: 'current', parent: names.at(-1) }] });
const ctx = { postedAtSec: 1000, nowSec: 1010 };

describe('verifyAction', () => {
  it.each([
    ['start', undefined, 'qemu', cur({ status: 'running', qmpstatus: 'running' }), true],
    ['start', undefined, 'qemu', cur({ status: 'running', qmpstatus: 'paused' }), false],
    ['start', undefined, 'lxc', cur({ status: 'running' }), true],
    ['start', undefined, 'qemu', cur({ status: 'stopped', qmpstatus: 'stopped' }), false],
    ['resume', undefined, 'qemu', cur({ status: 'running', qmpstatus: 'running' }), true],
    ['stop', undefined, 'qemu', cur({ status: 'stopped' }), true],
    ['shutdown', undefined, 'lxc', cur({ status: 'running' }), false],
    ['reboot', undefined, 'qemu', cur({ status: 'running', qmpstatus: 'running', uptime: 5 }), true],
    ['reboot', undefined, 'qemu', cur({ status: 'running', qmpstatus: 'running', uptime: 5000 }), false],
    ['suspend', undefined, 'qemu', cur({ status: 'running', qmpstatus: 'paused' }), true],
    ['suspend', undefined, 'qemu', cur({ status: 'running', qmpstatus: 'running' }), false],
    ['suspend', { toDisk: true }, 'qemu', cur({ status: 'stopped', lock: 'suspended' }), true],
    ['suspend', undefined, 'lxc', cur({ status: 'stopped' }), true],
    ['snapshot', { name: 'snap1' }, 'qemu', snaps('snap1'), true],
    ['snapshot', { name: 'snap1' }, 'qemu', snaps('other'), false],
    ['delete-snapshot', { name: 'snap1' }, 'qemu', snaps('other'), true],
    ['delete-snapshot', { name: 'snap1' }, 'qemu', snaps('snap1'), false],
    ['rollback', { name: 'snap1' }, 'qemu', snaps('snap1'), true],
    ['migrate', { target: 'n2' }, 'qemu', { owner: { ...owner, node: 'n2' } }, true],
    ['migrate', { target: 'n2' }, 'qemu', { owner }, false],
  ] as const)('%s %j (%s) → %s', (action, params, type, obs, ok) => {
    expect(verifyAction(req(action, params), type, obs as Observation, ctx).ok).toBe(ok);
  });

  it('uses the uptime before the action when known (reboot)', () => {
    const obs = cur({ status: 'running', qmpstatus: 'running', uptime: 8 });
    expect(verifyAction(req('reboot'), 'qemu', obs, { ...ctx, uptimeBefore: 7 }).ok).toBe(false);
    expect(verifyAction(req('reboot'), 'qemu', obs, { ...ctx, uptimeBefore: 70 }).ok).toBe(true);
  });

  it('says what it expected and what it saw', () => {
    const v = verifyAction(req('start'), 'qemu', cur({ status: 'stopped', qmpstatus: 'stopped' }), ctx);
    expect(v).toEqual({ ok: false, expected: 'status running, qmpstatus running', observed: 'node n1, status stopped, qmpstatus stopped' });
  });
});
