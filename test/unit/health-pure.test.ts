// The pure parts of the health tiers: schedule spreading, RPO from calendar events, the vzdump log
// parser and the mappers' quirks (wearout, LRM states, kernels, scrub lines, nested osdmap).
import { describe, expect, it } from 'vitest';
import { dueReads, periodCycles } from '../../agent/health/health-schedule.ts';
import { rpoFromSchedule, scheduleMaxGapSeconds } from '../../agent/health/rpo-from-schedule.ts';
import { parseSize, parseVzdumpLog } from '../../agent/health/parse-vzdump-log.ts';
import { compareKernels, lrmState, mapAptVersions, mapCephStatus, mapHaStatus, mapZfsDetail, scrubEnd, wearoutUsed } from '../../agent/health/map-health.ts';
import { parseForbidden, pveumGrant } from '../../agent/health/health-privileges.ts';
import { guestRpo } from '../../agent/store/health.repository.ts';

describe('dueReads', () => {
  it('runs every read exactly once per period and spreads reads of one period evenly', () => {
    const reads = Array.from({ length: 500 }, (_, i) => ({ key: `c${i % 50}|disks|n${i}`, periodCycles: 60 }));
    const counts = new Map<string, number>();
    const perCycle: number[] = [];
    for (let c = 0; c < 120; c++) {
      const due = dueReads(c, reads);
      perCycle.push(due.size);
      for (const k of due) counts.set(k, (counts.get(k) ?? 0) + 1);
    }
    expect([...counts.values()].every((n) => n === 2)).toBe(true);
    expect(counts.size).toBe(500);
    expect(Math.max(...perCycle) - Math.min(...perCycle)).toBeLessThanOrEqual(1);
  });

  it('mixes periods without a burst: at most ceil(n/p) of each period per cycle', () => {
    const reads = [
      ...Array.from({ length: 30 }, (_, i) => ({ key: `a${i}`, periodCycles: 15 })),
      ...Array.from({ length: 30 }, (_, i) => ({ key: `b${i}`, periodCycles: 30 })),
      ...Array.from({ length: 30 }, (_, i) => ({ key: `d${i}`, periodCycles: 360 })),
    ];
    const sizes = Array.from({ length: 360 }, (_, c) => dueReads(c, reads).size);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(2 + 1 + 1);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(30 * 24 + 30 * 12 + 30);
  });

  it('periodCycles rounds to whole cycles, at least one', () => {
    expect(periodCycles(3600, 60)).toBe(60);
    expect(periodCycles(30, 60)).toBe(1);
    expect(periodCycles(900, 300)).toBe(3);
  });
});

describe('RPO from a Proxmox calendar event', () => {
  it.each([
    ['21:00', 24 * 3600],
    ['daily', 24 * 3600],
    ['mon..fri 01:00', 3 * 86_400],
    ['sat 02:00', 7 * 86_400],
    ['mon,wed,fri 22:30', 3 * 86_400],
    ['*/6:00', 6 * 3600],
    ['0/4:15', 4 * 3600],
    ['hourly', 3600],
    ['*-*-01 03:00', 31 * 86_400],
    ['sun 01:00', 7 * 86_400],
  ])('%s → largest gap %i s', (event, gap) => {
    expect(scheduleMaxGapSeconds(event)).toBe(gap);
  });
  it('adds 2 h of grace and refuses what it cannot read', () => {
    expect(rpoFromSchedule('21:00')).toBe(26 * 3600);
    expect(rpoFromSchedule('every full moon')).toBeUndefined();
    expect(rpoFromSchedule(null)).toBeUndefined();
  });
  it('the config override wins over the job', () => {
    expect(guestRpo('c1', 100, 93_600, [{ hours: 1, vmids: [100] }])).toBe(3600);
    expect(guestRpo('c1', 101, 93_600, [{ hours: 1, vmids: [100] }])).toBe(93_600);
    expect(guestRpo('c2', 100, 93_600, [{ hours: 48, clusters: ['c2'] }])).toBe(48 * 3600);
  });
});

describe('parseVzdumpLog', () => {
  const lines = [
    'INFO: starting new backup job: vzdump --all 1 --storage pbs --mode snapshot --quiet 1',
    'INFO: Starting Backup of VM 100 (qemu)',
    'INFO: Backup started at 2026-12-06 22:00:05',
    "INFO: creating Proxmox Backup Server archive 'vm/100/2026-12-06T21:00:05Z'",
    'INFO: transferred 32.00 GiB in 120 seconds (273.1 MiB/s)',
    'INFO: Finished Backup of VM 100 (00:02:03)',
    'INFO: Backup finished at 2026-12-06 22:02:08',
    'INFO: Starting Backup of VM 101 (lxc)',
    'INFO: Backup started at 2026-12-06 22:02:09',
    'ERROR: Backup of VM 101 failed - no space left on device',
    'INFO: Starting Backup of VM 102 (qemu)',
    'INFO: Backup started at 2026-12-06 22:02:10',
    'INFO: Backup job finished with errors',
    'TASK ERROR: job errors',
  ];
  // the node runs UTC+1: 22:00:05 local is 21:00:05 UTC
  const start = Date.UTC(2026, 11, 6, 21, 0, 0) / 1000;
  const runs = parseVzdumpLog({ upid: 'UPID:x', node: 'pve1', vmid: null, starttime: start, endtime: start + 200, status: 'job errors' }, lines);

  it('one row per guest, with the node offset corrected from the UPID start', () => {
    expect(runs.map((r) => [r.vmid, r.ok])).toEqual([[100, true], [101, false], [102, false]]);
    expect(runs[0]).toMatchObject({ starttime: start + 5, endtime: start + 128, durationS: 123, storage: 'pbs', archive: 'vm/100/2026-12-06T21:00:05Z', sizeBytes: 32 * 1024 ** 3 });
    expect(runs[1]!.error).toBe('no space left on device');
    expect(runs[2]!.error).toBe('job errors'); // started, never finished
  });

  it('a single-guest task without any per-guest lines takes the task status', () => {
    const r = parseVzdumpLog({ upid: 'UPID:y', node: 'pve1', vmid: 105, starttime: start, endtime: start + 3, status: "can't acquire lock '/var/run/vzdump.lock' - got timeout" }, ['TASK ERROR: can\'t acquire lock']);
    expect(r).toEqual([expect.objectContaining({ vmid: 105, ok: false, error: expect.stringContaining('lock') })]);
  });

  it('parseSize reads vzdump and PBS sizes', () => {
    expect(parseSize('1.50GB')).toBe(Math.round(1.5 * 1024 ** 3));
    expect(parseSize('512 MiB')).toBe(512 * 1024 ** 2);
    expect(parseSize('123')).toBe(123);
    expect(parseSize('lots')).toBeNull();
  });
});

describe('mappers', () => {
  it('wearout: the API reports life remaining; we store life used; N/A is null', () => {
    expect(wearoutUsed(5)).toBe(95);
    expect(wearoutUsed('100')).toBe(0);
    expect(wearoutUsed('N/A')).toBeNull();
    expect(wearoutUsed(undefined)).toBeNull();
  });

  it('HA: LRM states from the status text, a node with a service in fence is fenced', () => {
    expect(lrmState('pve1 (active, Mon Dec  7 00:34:58 2026)')).toBe('active');
    expect(lrmState('pve2 (old timestamp - dead?, Mon Dec  7 00:30:00 2026)')).toBe('dead');
    expect(lrmState('pve3 (maintenance mode, Mon Dec  7 00:34:58 2026)')).toBe('maintenance');
    const ha = mapHaStatus([
      { id: 'quorum', type: 'quorum', node: 'pve1', status: 'OK', quorate: true },
      { id: 'master', type: 'master', node: 'pve1', status: 'pve1 (active, x)' },
      { id: 'lrm:pve2', type: 'lrm', node: 'pve2', status: 'pve2 (old timestamp - dead?, x)' },
      { id: 'service:vm:101', type: 'service', sid: 'vm:101', node: 'pve2', state: 'fence', crm_state: 'fence' },
    ]);
    expect(ha.nodes[0]).toMatchObject({ node: 'pve2', lrmState: 'dead', fenced: true, nodeState: 'fence' });
    expect(ha.services[0]).toMatchObject({ sid: 'vm:101', vmid: 101, state: 'fence' });
  });

  it('kernels: newest installed vs running decides the reboot; PVE 7 and 8/9 package names', () => {
    expect(compareKernels('6.8.12-10-pve', '6.8.12-9-pve')).toBeGreaterThan(0);
    const pkgs = (k: string[], running: string) => [
      { Package: 'proxmox-ve', RunningKernel: running, OldVersion: '8.4.0' },
      { Package: 'pve-manager', ManagerVersion: '8.4.1/2a5fa54a8503f96d' },
      ...k.map((p) => ({ Package: p, CurrentState: 'Installed' })),
    ];
    expect(mapAptVersions(pkgs(['proxmox-kernel-6.8.12-10-pve-signed', 'proxmox-kernel-6.8.12-9-pve-signed', 'proxmox-kernel-6.8'], '6.8.12-9-pve'))).toEqual({
      runningKernel: '6.8.12-9-pve', newestKernel: '6.8.12-10-pve', managerVersion: '8.4.1', pveVersion: '8.4.0', rebootRequired: true,
    });
    expect(mapAptVersions(pkgs(['pve-kernel-5.15.108-1-pve'], '5.15.108-1-pve')).rebootRequired).toBe(false);
  });

  it('zpool: scrub end from the scan line, errors summed over leaves only', () => {
    expect(scrubEnd('scrub repaired 0B in 00:25:13 with 0 errors on Sun Nov 10 00:25:24 2024')).toBe(Date.UTC(2024, 10, 10, 0, 25, 24) / 1000);
    expect(scrubEnd('scrub in progress since Sun Nov 10 00:00:01 2024')).toBeNull();
    const d = mapZfsDetail({ name: 'tank', state: 'DEGRADED', children: [{ name: 'tank', read: 0, write: 0, cksum: 0, children: [{ name: 'mirror-0', cksum: 0, children: [{ name: 'a', read: 0, write: 0, cksum: 0 }, { name: 'b', read: 1, write: 0, cksum: 14 }] }] }] });
    expect(d).toMatchObject({ readErrors: 1, cksumErrors: 14, health: 'DEGRADED' });
  });

  it('Ceph: nested osdmap (before Pacific) and flat', () => {
    expect(mapCephStatus({ health: { status: 'HEALTH_OK' }, osdmap: { osdmap: { num_osds: 3, num_up_osds: 3, num_in_osds: 3 } } }).osds).toBe(3);
    expect(mapCephStatus({ health: { status: 'HEALTH_OK' }, osdmap: { num_osds: 4, num_up_osds: 3, num_in_osds: 4 } }).osdsUp).toBe(3);
  });

  it('403 status line → path and privilege → the pveum line', () => {
    expect(parseForbidden('permission denied for GET /cluster/backup: 403 Permission check failed (/, Sys.Audit)')).toEqual({ aclPath: '/', privilege: 'Sys.Audit' });
    expect(pveumGrant('pmi@pve!monitor', '/nodes/pve1')).toBe("pveum acl modify /nodes/pve1 --tokens 'pmi@pve!monitor' --roles PVEAuditor");
  });
});
