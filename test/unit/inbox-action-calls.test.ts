import { describe, expect, it } from 'vitest';
import { ActionRequest } from '../../agent/inbox/action-request.schema.ts';
import { actionCall, definedParams, unsupportedReason } from '../../agent/inbox/action-calls.ts';

const req = (action: string, params?: unknown) => ActionRequest.parse({ version: 1, id: 'a', cluster: 'lab', vmid: 101, action, ...(params ? { params } : {}) });

describe('actionCall maps each action to the pve-api.md §6 call', () => {
  it.each([
    ['start', undefined, 'qemu', 'POST /nodes/n1/qemu/101/status/start', {}, 'qmstart'],
    ['start', undefined, 'lxc', 'POST /nodes/n1/lxc/101/status/start', {}, 'vzstart'],
    ['shutdown', { timeoutSeconds: 30, forceStop: true }, 'qemu', 'POST /nodes/n1/qemu/101/status/shutdown', { timeout: 30, forceStop: 1 }, 'qmshutdown'],
    ['shutdown', undefined, 'lxc', 'POST /nodes/n1/lxc/101/status/shutdown', {}, 'vzshutdown'],
    ['stop', undefined, 'qemu', 'POST /nodes/n1/qemu/101/status/stop', {}, 'qmstop'],
    ['reboot', { timeoutSeconds: 9 }, 'lxc', 'POST /nodes/n1/lxc/101/status/reboot', { timeout: 9 }, 'vzreboot'],
    ['reset', undefined, 'qemu', 'POST /nodes/n1/qemu/101/status/reset', {}, 'qmreset'],
    ['suspend', undefined, 'qemu', 'POST /nodes/n1/qemu/101/status/suspend', {}, 'qmpause'],
    ['suspend', { toDisk: true }, 'qemu', 'POST /nodes/n1/qemu/101/status/suspend', { todisk: 1 }, 'qmsuspend'],
    ['suspend', undefined, 'lxc', 'POST /nodes/n1/lxc/101/status/suspend', {}, 'vzsuspend'],
    ['resume', undefined, 'qemu', 'POST /nodes/n1/qemu/101/status/resume', {}, 'qmresume'],
    ['snapshot', { name: 'snap1', description: 'd', includeRam: true }, 'qemu', 'POST /nodes/n1/qemu/101/snapshot', { snapname: 'snap1', description: 'd', vmstate: 1 }, 'qmsnapshot'],
    ['snapshot', { name: 'snap1', includeRam: true }, 'lxc', 'POST /nodes/n1/lxc/101/snapshot', { snapname: 'snap1' }, 'vzsnapshot'],
    ['rollback', { name: 'snap1', start: true }, 'qemu', 'POST /nodes/n1/qemu/101/snapshot/snap1/rollback', { start: 1 }, 'qmrollback'],
    ['delete-snapshot', { name: 'snap1' }, 'lxc', 'DELETE /nodes/n1/lxc/101/snapshot/snap1', {}, 'vzdelsnapshot'],
    ['migrate', { target: 'n2', online: true }, 'qemu', 'POST /nodes/n1/qemu/101/migrate', { target: 'n2', online: 1 }, 'qmigrate'],
    ['migrate', { target: 'n2', online: true }, 'lxc', 'POST /nodes/n1/lxc/101/migrate', { target: 'n2', restart: 1 }, 'vzmigrate'],
    ['migrate', { target: 'n2' }, 'lxc', 'POST /nodes/n1/lxc/101/migrate', { target: 'n2' }, 'vzmigrate'],
  ] as const)('%s %j on %s → %s', (action, params, type, call, sent, taskType) => {
    const c = actionCall(req(action, params), type, 'n1');
    expect(`${c.method} ${c.path}`).toBe(call);
    expect(definedParams(c.params)).toEqual(sent);
    expect(c.taskTypes).toContain(taskType);
  });

  it.each([
    ['reset', undefined, 'lxc', /only for QEMU/],
    ['suspend', { toDisk: true }, 'lxc', /only for QEMU/],
    ['reset', undefined, 'qemu', undefined],
    ['suspend', undefined, 'lxc', undefined],
  ] as const)('unsupported %s %j on %s', (action, params, type, reason) => {
    const r = unsupportedReason(req(action, params), type);
    if (reason) expect(r).toMatch(reason);
    else expect(r).toBeUndefined();
  });
});
