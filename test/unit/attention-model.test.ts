// The overview's attention list (issue #14 item 1): rows in, typed items out, worst first, no
// database. Plus the one usage rule the bars, the summary and the list share (item 8: "89.7 %"
// shown as "90 %" must not sit next to "Storage near full: 0").
import { describe, expect, it } from 'vitest';
import { buildAttention, daysUntilFull, DEFAULT_THRESHOLDS, shownPct, usageLevel, type AttentionInput } from '../../agent/site/build-attention-model.ts';
import { sharedStorageOnce } from '../../agent/site/attention-site.ts';
import { buildStorageRows, buildSummary, type Fleet } from '../../agent/site/build-fleet-model.ts';
import { buildSearchIndex } from '../../agent/site/build-search-index.ts';
import type { ClusterRow, GuestRow, NodeRow, StorageRow } from '../../agent/store/site-inventory.repository.ts';

const NOW = 1_800_000_000;
const cluster = (over: Partial<ClusterRow> = {}): ClusterRow => ({ id: 1, name: 'c1', pve_name: 'pve', pve_version: '8.2', quorate: 1, node_count: 2, endpoint: 'x', last_poll_at: NOW - 5, last_ok_at: NOW - 5, last_error: null, last_sample_ts: NOW - 5, ...over });
const node = (over: Partial<NodeRow> = {}): NodeRow => ({
  cluster_id: 1, node: 'n1', status: 'online', ip: null, maxcpu: 4, mem_total: 100, uptime: 1, cpu_model: null, kernel: null, pve_version: null, last_seen: NOW - 5,
  cpu: 0.1, iowait: 0, load1: 0, load5: 0, load15: 0, mem_used: 10, mem_available: 90, swap_total: 0, swap_used: 0, rootfs_total: 100, rootfs_used: 10, netin_bps: 0, netout_bps: 0, ...over,
});
const guest = (over: Partial<GuestRow> = {}): GuestRow => ({ cluster_id: 1, vmid: 100, type: 'qemu', node: 'n1', name: 'web', status: 'running', template: 0, tags: null, pool: null, lock: null, hastate: null, maxcpu: 1, maxmem: 100, maxdisk: 100, first_seen: 0, changed_at: 0, ...over });
const storage = (over: Partial<StorageRow> = {}): StorageRow => ({ cluster_id: 1, node: 'n1', storage: 'local', type: 'dir', content: null, shared: 0, status: 'available', used: 10, total: 100, last_seen: NOW - 5, ...over });

function input(over: Partial<AttentionInput> = {}): AttentionInput {
  return {
    clusters: [cluster()], nodes: [node()], guests: [guest()], storages: [storage()],
    failedTasks: [], unexplainedStops: [], storageTrend: [], pollErrors: [], health: [], alerts: null,
    now: NOW, staleAfterSeconds: 15, recentSeconds: 10, thresholds: DEFAULT_THRESHOLDS, ...over,
  };
}

describe('buildAttention', () => {
  it('says "all clear" with the time of the data when nothing is wrong', () => {
    const m = buildAttention(input());
    expect(m.allClear).toBe(true);
    expect(m.items).toEqual([]);
    expect(m.dataText).toBe('2027-01-15 07:59 UTC'); // the newest sample (NOW - 5 s)
  });

  it('lists every kind of problem, critical first, each with a link to its page', () => {
    const m = buildAttention(input({
      clusters: [cluster({ quorate: 0 })],
      nodes: [node(), node({ node: 'n2', status: 'offline' }), node({ node: 'n3' })],
      guests: [
        guest({ vmid: 101, status: 'paused' }),
        guest({ vmid: 102, lock: 'backup' }),
        guest({ vmid: 103, hastate: 'error' }),
        guest({ vmid: 104, status: 'stopped' }),
        guest({ vmid: 105, status: 'stopped' }), // stopped on purpose: no unexplained stop row
        guest({ vmid: 106, status: 'stopped', template: 1, lock: 'x' }),
      ],
      storages: [
        storage({ storage: 'warn', used: 897, total: 1000 }),
        storage({ storage: 'crit', used: 96, total: 100 }),
        storage({ storage: 'gone', status: 'unknown', used: null, total: null }),
      ],
      unexplainedStops: [{ cluster_id: 1, vmid: 104, ts: NOW - 600, from_status: 'running' }],
      failedTasks: [{ upid: 'U', cluster_id: 1, node: 'n1', type: 'vzdump', vmid: 101, starttime: NOW - 3600, endtime: NOW - 3000, status: 'job errors' }],
      pollErrors: [{ cluster: 'c1', cluster_id: 1, ts: NOW - 5, node: 'n3', endpoint: null, path: '/nodes/n3/status', code: 'HTTP_596', message: 'timeout' }],
      health: [{ level: 'bad', cluster: 'c1', node: 'n1', signal: 'disk', text: '/dev/sdb: SMART FAILED' }, { level: 'bad', cluster: 'c1', node: 'n1', signal: 'ha', text: 'HA vm:103: error' }],
      alerts: { firing: 2, critical: 1 },
    }));
    const lines = m.items.map((i) => `${i.level} ${i.kind} ${i.subject}: ${i.text} → ${i.href}`);
    expect(lines).toEqual([
      'crit cluster c1: cluster has no quorum → clusters/c1.html',
      expect.stringMatching(/^crit node c1\/n2: node offline.* → nodes\/c1\/n2\.html$/),
      'crit storage crit on c1/n1: 96 % full → nodes/c1/n1.html',
      'crit guest 103 web: HA state error (c1/n1) → g/c1/1xx/103.html',
      expect.stringMatching(/^crit task 101 web: vzdump failed at .*: job errors → g\/c1\/1xx\/101\.html$/),
      'crit health c1/n1: disk: /dev/sdb: SMART FAILED → nodes/c1/n1.html',
      'crit alerts alerts: 2 alerts firing, 1 critical → alerts.html',
      'warn node c1/n3: 1 API call failing: HTTP_596 timeout → nodes/c1/n3.html',
      'warn storage warn on c1/n1: 90 % full → nodes/c1/n1.html',
      'warn storage gone on c1/n1: not available (status unknown) → nodes/c1/n1.html',
      expect.stringMatching(/^warn guest 10[1-4] web: /),
      expect.stringMatching(/^warn guest 10[1-4] web: /),
      expect.stringMatching(/^warn guest 10[1-4] web: /),
    ]);
    const guestWarn = lines.slice(-3).join('\n');
    expect(guestWarn).toContain('101 web: paused');
    expect(guestWarn).toContain('102 web: locked: backup');
    expect(guestWarn).toMatch(/104 web: stopped at .* without a stop action or task/);
    expect(m.counts).toEqual({ crit: 7, warn: 6 });
    expect(m.allClear).toBe(false);
  });

  it('flags stale data and failing polls, and old node errors no longer', () => {
    const m = buildAttention(input({
      clusters: [cluster({ last_sample_ts: NOW - 100 }), cluster({ id: 2, name: 'c2', last_error: 'connect ECONNREFUSED', last_ok_at: NOW - 600 })],
      pollErrors: [{ cluster: 'c1', cluster_id: 1, ts: NOW - 60, node: 'n1', endpoint: null, path: null, code: 'X', message: 'old' }],
    }));
    expect(m.items.map((i) => `${i.kind} ${i.subject} ${i.text}`)).toEqual([
      expect.stringMatching(/^poll c1 data is stale: last data .* \(1m 40s ago\)$/),
      expect.stringMatching(/^poll c2 polling fails since .*: connect ECONNREFUSED$/),
    ]);
    expect(m.items.every((i) => i.href === 'agent.html')).toBe(true);
  });

  it('lists a shared storage once, at its fullest node', () => {
    const m = buildAttention(input({
      nodes: [node(), node({ node: 'n2' })],
      storages: [storage({ storage: 'nas', shared: 1, used: 90, total: 100 }), storage({ storage: 'nas', node: 'n2', shared: 1, used: 96, total: 100 })],
    }));
    expect(m.items.map((i) => `${i.level} ${i.subject} ${i.text} ${i.href}`)).toEqual(['crit nas (shared, c1) 96 % full storage.html']);
  });

  it('warns about a storage full within the configured days on its 7-day trend', () => {
    const points = Array.from({ length: 48 }, (_, k) => ({ cluster_id: 1, node: 'n1', storage: 'local', ts: NOW - (48 - k) * 3600, used: 40 + k * 0.5, total: 100 }));
    const base = { storages: [storage({ used: 64, total: 100 })], storageTrend: points };
    const m = buildAttention(input(base));
    expect(m.items.map((i) => i.text)).toEqual(['64 % full, full in about 3 days on its 7-day trend']);
    expect(buildAttention(input({ ...base, thresholds: { ...DEFAULT_THRESHOLDS, fullWithinDays: 2 } })).allClear).toBe(true);
    expect(buildAttention(input({ ...base, thresholds: { ...DEFAULT_THRESHOLDS, fullWithinDays: 0 } })).allClear).toBe(true);
  });

  it('caps failed tasks at ten lines and links the rest to the tasks page', () => {
    const failedTasks = Array.from({ length: 13 }, (_, k) => ({ upid: `U${k}`, cluster_id: 1, node: 'n1', type: 'qmstart', vmid: null, starttime: NOW - k * 60, endtime: NOW - k * 60 + 5, status: 'boom' }));
    const m = buildAttention(input({ failedTasks }));
    expect(m.items).toHaveLength(11);
    expect(m.items[10]).toMatchObject({ text: '3 more failed tasks in the last 24 h', href: 'tasks.html' });
  });
});

describe('backup findings', () => {
  it('lists five per level, then one line linking the Backups page', () => {
    const health = Array.from({ length: 13 }, (_, k) => ({ level: 'bad' as const, cluster: 'c1', node: 'n1', signal: 'backup', text: `${101 + k} web-${k}: no successful backup known` }));
    health.push({ level: 'bad', cluster: 'c1', node: 'n1', signal: 'disk', text: '/dev/sdb: SMART FAILED' });
    const m = buildAttention(input({ health }));
    const backup = m.items.filter((i) => i.text.startsWith('backup:'));
    expect(backup).toHaveLength(6);
    expect(backup[5]).toMatchObject({ level: 'crit', text: 'backup: 8 more guests without a good backup in time, on the Backups page', href: 'backups.html' });
    expect(m.items.some((i) => i.text.includes('SMART FAILED'))).toBe(true);
  });
});

describe('usage rule', () => {
  it('judges the number as displayed: 89.7 % shows as 90 % and counts as near full at 90', () => {
    expect(shownPct(0.897)).toBe(90);
    expect(shownPct(0.0456)).toBe(4.6);
    const t = { storageWarnPct: 90, storageCritPct: 95 };
    expect(usageLevel(0.897, t)).toBe('warn');
    expect(usageLevel(0.8949, t)).toBe('ok');
    expect(usageLevel(0.9451, t)).toBe('crit');
    expect(usageLevel(null, t)).toBe('ok');
  });

  it('gives the summary, the table and the bars the same verdict', () => {
    const f: Fleet = { clusters: [cluster()], nodes: [node()], guests: [], storages: [storage({ used: 897, total: 1000 })], now: new Map(), failedTasks24h: 0, failedActions24h: 0, nearFullRatio: 0.9, thresholds: { storageWarnPct: 90, storageCritPct: 95, fullWithinDays: 14 } };
    const [row] = buildStorageRows(f, (p) => p);
    expect(row!.pct.text).toBe('90 %');
    expect(row!.nearFull).toBe(true);
    expect(row!.pct.bar).toEqual({ pct: 90, level: 'warn' });
    expect(buildSummary(f, (p) => p).storageNearFull).toBe(1);
  });

  it('fits no trend on too little history or a shrinking storage', () => {
    expect(daysUntilFull([{ ts: 0, used: 1 }], 10)).toBeNull();
    expect(daysUntilFull(Array.from({ length: 10 }, (_, k) => ({ ts: k * 3600, used: 50 - k })), 100)).toBeNull();
    expect(daysUntilFull(Array.from({ length: 10 }, (_, k) => ({ ts: k * 3600, used: 50 + k })), 100)).toBeCloseTo((100 - 59) / 24, 5);
  });
});

describe('fleet tables and search', () => {
  it('shows a shared storage once in fleet-wide tables', () => {
    const f: Fleet = { clusters: [cluster()], nodes: [], guests: [], storages: [storage({ storage: 'nas', shared: 1 }), storage({ storage: 'nas', node: 'n2', shared: 1, used: 50 }), storage()], now: new Map(), failedTasks24h: 0, failedActions24h: 0, nearFullRatio: 0.85 };
    const rows = sharedStorageOnce(buildStorageRows(f, (p) => p));
    expect(rows.map((r) => `${r.storage}@${r.node} ${r.pct.text}`)).toEqual(['nas@shared 50 %', 'local@n1 10 %']);
  });

  it('indexes guests by name, vmid, tag and node, nodes and clusters by name', () => {
    const rows = buildSearchIndex({ clusters: [cluster()], nodes: [node()], guests: [guest({ tags: 'prod;db' })] });
    expect(rows).toEqual([
      ['guest', 'web', '100 on c1/n1 [prod, db]', 'g/c1/1xx/100.html', 'web 100 prod db n1 c1'],
      ['node', 'n1', 'node of c1', 'nodes/c1/n1.html', 'n1 c1'],
      ['cluster', 'c1', 'cluster', 'clusters/c1.html', 'c1 pve'],
    ]);
  });
});
