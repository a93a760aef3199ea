import { describe, expect, it } from 'vitest';
import { guestRowsFromRrd, nodeRowsFromRrd, rowsFromMetrics } from '../../agent/poll/map-backfill.ts';
import { gapStart, timeframeFor } from '../../agent/poll/backfill-plan.ts';
import { MetricItem, RrdRow, parseItems } from '../../agent/pve/pve-schemas.ts';

describe('backfill mapping', () => {
  it('node rrddata rows inside the gap, numeric strings accepted, unknown samples absent → null', () => {
    const rows = parseItems(RrdRow, [
      { time: 100, cpu: 0.1, loadavg: '0.5', memused: 5607787997.86667, memtotal: 8e9, netin: 10 },
      { time: 160, cpu: 0.2, iowait: 0.01, memavailable: 1e9 },
      { time: 220, maxcpu: 4 }, // a bucket with no samples
      { time: 280, cpu: 0.3 },
    ]).items;
    const out = nodeRowsFromRrd('n1', rows, 100, 280);
    expect(out).toEqual([{ node: 'n1', ts: 160, cpu: 0.2, iowait: 0.01, load1: null, memTotal: null, memUsed: null, memAvailable: 1e9, swapTotal: null, swapUsed: null, rootfsTotal: null, rootfsUsed: null, netinBps: null, netoutBps: null, arcsize: null, pressureCpuSome: null, pressureIoSome: null, pressureIoFull: null, pressureMemorySome: null, pressureMemoryFull: null }]);
  });
  it('guest rrddata: stopped rows skipped, QEMU disk null, LXC disk kept', () => {
    const rows = parseItems(RrdRow, [{ time: 10, cpu: 0.5, mem: 1, disk: 7, netin: 3 }, { time: 20, maxmem: 9 }]).items;
    expect(guestRowsFromRrd(100, 'qemu', rows, 0, 100)).toEqual([{ vmid: 100, ts: 10, cpu: 0.5, mem: 1, disk: null, netinBps: 3, netoutBps: null, diskreadBps: null, diskwriteBps: null, memhost: null, pressureCpuSome: null, pressureCpuFull: null, pressureIoSome: null, pressureIoFull: null, pressureMemorySome: null, pressureMemoryFull: null }]);
    expect(guestRowsFromRrd(101, 'lxc', rows, 0, 100)[0]!.disk).toBe(7);
  });
  it('metrics export: gauges as they are, derive counters → bytes/s, a counter reset gives null', () => {
    const m = (id: string, metric: string, timestamp: number, value: number) => ({ id, metric, timestamp, type: 'gauge', value });
    const items = parseItems(MetricItem, [
      m('node/n1', 'cpu_current', 100, 0.1), m('node/n1', 'net_in', 100, 1000), m('node/n1', 'mem_used', 100, 5),
      m('node/n1', 'cpu_current', 110, 0.2), m('node/n1', 'net_in', 110, 3000),
      m('qemu/100', 'uptime', 100, 50), m('qemu/100', 'net_in', 100, 500), m('qemu/100', 'cpu_current', 100, 0.3),
      m('qemu/100', 'uptime', 110, 5), m('qemu/100', 'net_in', 110, 100), m('qemu/100', 'disk_used', 110, 9),
      m('qemu/101', 'uptime', 110, 0), // stopped: no sample
      m('storage/n1/local', 'disk_used', 110, 1),
    ]).items;
    const r = rowsFromMetrics(items, 90, 200);
    expect(r.nodes.map((n) => [n.ts, n.cpu, n.netinBps])).toEqual([[100, 0.1, null], [110, 0.2, 200]]);
    expect(r.guests.map((g) => [g.vmid, g.ts, g.netinBps, g.disk])).toEqual([[100, 100, null, null], [100, 110, null, null]]);
  });
  it('gap rules: > 2 intervals, a new cluster gets a day; hour vs day timeframe', () => {
    expect(gapStart(1000, 1100, 60)).toBeUndefined();
    expect(gapStart(1000, 1121, 60)).toBe(1000);
    expect(gapStart(undefined, 100_000, 60)).toBe(100_000 - 86_400);
    expect(timeframeFor(5000, 5000 - 3600)).toBe('hour');
    expect(timeframeFor(5000, 5000 - 3601)).toBe('day');
  });
});
