// Issue 14 item 5: the snapshots and last backup on a guest page.
import { describe, expect, it } from 'vitest';
import { buildGuestSnapshots, buildLastBackup } from '../../agent/site/build-guest-extras.ts';

describe('guest page extras', () => {
  it('lists snapshots oldest first and marks the one the current state is based on', () => {
    const vm = buildGuestSnapshots({ fetchedAt: 1_796_600_000, currentParent: 'b', error: null, entries: [
      { name: 'b', snaptime: 200, description: 'second', parent: 'a', vmstate: 1 },
      { name: 'a', snaptime: 100, description: null, parent: null, vmstate: 0 },
    ] }, 'qemu');
    expect(vm.rows.map((r) => [r.name, r.current, r.ram, r.parent])).toEqual([['a', false, 'no', ''], ['b', true, 'yes', 'a']]);
    expect(vm.status).toBe('read 2026-12-06 23:33 UTC');
    expect(buildGuestSnapshots(undefined, 'lxc').status).toMatch(/^not read yet/);
  });

  it('says when the last backup worked, and that the last attempt failed', () => {
    const vm = buildLastBackup({ cluster: 'c', vmid: 101, name: 'web', type: 'qemu', node: 'pve1', jobs: 'daily', rpo_s: 93_600, in_job: 1,
      last_ok_end: 1000, last_ok_duration_s: 240, last_ok_size_bytes: 2 ** 31, last_ok_storage: 'nas', last_ok_upid: 'UPID:x', last_fail_end: 2000, last_fail_error: 'job errors', age_s: 90_000, status: 'ok' })!;
    expect(vm.failedLast).toBe(true);
    expect(vm.facts.map((f) => f.label)).toEqual(['Last successful backup', 'Duration, size', 'Storage', 'Last failed backup', 'Backup jobs', 'Expected every']);
    expect(vm.facts[3]!.text).toMatch(/job errors$/);
    expect(buildLastBackup(undefined)).toBeNull();
  });
});
