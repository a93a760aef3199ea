// The pure view models of issue 12 items 2 and 3 (agent/site/build-fidelity-model.ts): rows in,
// typed models out.
import { describe, expect, it } from 'vitest';
import { buildGuestPressure, buildNodePressure, buildPollErrors, pollErrorsForStatus } from '../../agent/site/build-fidelity-model.ts';
import type { PollErrorRow } from '../../agent/store/poll-errors.repository.ts';

const err = (ts: number, node: string | null, cluster = 'c1'): PollErrorRow => ({ cluster, cluster_id: 1, ts, node, endpoint: 'https://pve1:8006', path: node ? `/nodes/${node}/status` : '/cluster/tasks', code: 'PVE_NODE_OFFLINE', message: `node ${node}: 596 Connection timed out` });

describe('poll errors model', () => {
  const rows = [err(200, 'pve2'), err(200, 'pve3'), err(100, 'pve2'), err(100, null), err(90, 'pve1', 'c2')];

  it('filters by cluster and node, newest first, with readable fields', () => {
    const m = buildPollErrors(rows, { cluster: 'c1', node: 'pve2' });
    expect(m.rows.map((r) => r.ts)).toEqual([200, 100]);
    expect(m.rows[0]).toMatchObject({ node: 'pve2', code: 'PVE_NODE_OFFLINE', endpoint: 'https://pve1:8006', path: '/nodes/pve2/status' });
    expect(m.title).toBe('Poll errors (last 24 h)');
    expect(buildPollErrors(rows, { cluster: 'c1' }).rows.find((r) => r.ts === 100 && r.path === '/cluster/tasks')!.node).toBe('(cluster)');
    expect(buildPollErrors([], {}).emptyText).toBe('No poll errors in the last 24 h.');
    expect(buildPollErrors(rows, {}, 2).rows).toHaveLength(2);
  });

  it('status.json: count per cluster and the latest cycle\'s node errors', () => {
    const m = pollErrorsForStatus(rows);
    expect(m.get('c1')).toMatchObject({ errors_24h: 4, last_error_at: 200 });
    expect(m.get('c1')!.node_errors.map((e) => e.node)).toEqual(['pve2', 'pve3']);
    expect(m.get('c2')!.errors_24h).toBe(1);
  });
});

describe('pressure model', () => {
  it('node: PSI in percent and ARC in bytes; nothing fetched → null', () => {
    const m = buildNodePressure({ cluster_id: 1, node: 'pve1', ts: 1_796_000_000, arcsize: 5797241932, cpu_some: 1.73, io_some: 0.21, io_full: 0.11, memory_some: 0.01, memory_full: 0 })!;
    expect(m.rows).toEqual([
      { label: 'CPU pressure (some)', text: '1.73 %' },
      { label: 'I/O pressure (some / full)', text: '0.21 % / 0.11 %' },
      { label: 'Memory pressure (some / full)', text: '0.01 % / 0.00 %' },
      { label: 'ZFS ARC size', text: '5.4 GiB' },
    ]);
    expect(buildNodePressure(undefined)).toBeNull();
  });

  it('guest: cpu some/full, and host memory for QEMU only', () => {
    const base = { cluster_id: 1, vmid: 100, ts: 1, cpu_some: 12.5, cpu_full: 3, io_some: null, io_full: null, memory_some: 0, memory_full: 0 };
    expect(buildGuestPressure({ ...base, memhost: 2 ** 30 })!.rows.at(-1)).toEqual({ label: 'Memory on the host', text: '1.0 GiB' });
    const lxc = buildGuestPressure({ ...base, memhost: null })!;
    expect(lxc.rows).toHaveLength(3);
    expect(lxc.rows[0]!.text).toBe('12.5 % / 3.00 %');
    expect(lxc.rows[1]!.text).toBe('– / –');
  });
});
