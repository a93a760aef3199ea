import { describe, expect, it } from 'vitest';
import { MAX_POINTS, RANGES, SOURCE_TIERS, encodeWindow, groupPoints, seriesJson, sig3, type Point } from '../../agent/site/encode-series.ts';
import { INITIAL_CAP, createRecentCache } from '../../agent/site/recent-cache.ts';

describe('series downsampling', () => {
  it('groups a year of hourly points to at most 600, keeping the time span', () => {
    const pts: Point[] = Array.from({ length: 8760 }, (_, k) => ({ ts: 1_700_000_000 + k * 3600, v: [k % 100, null] }));
    const out = groupPoints(pts);
    expect(out.length).toBeLessThanOrEqual(MAX_POINTS);
    expect(out.length).toBeGreaterThan(300);
    expect(out[0]!.ts).toBe(pts[0]!.ts);
    expect(out[out.length - 1]!.ts).toBeLessThanOrEqual(pts[pts.length - 1]!.ts);
    expect(out[0]!.v[1]).toBeNull();
  });

  it('leaves short series alone and averages within a group', () => {
    const short: Point[] = [{ ts: 0, v: [1] }, { ts: 60, v: [3] }];
    expect(groupPoints(short)).toBe(short);
    const pts: Point[] = Array.from({ length: 1200 }, (_, k) => ({ ts: k, v: [k % 2 === 0 ? 0 : 2] }));
    expect(groupPoints(pts).every((p) => p.v[0] === 1)).toBe(true);
  });

  it('keeps every tier source within 600 points for its span', () => {
    // worst case over the span: a point at each end
    for (const [s, t] of Object.entries(SOURCE_TIERS)) expect(Math.ceil(t.seconds / t.group) + 1, s).toBeLessThanOrEqual(MAX_POINTS);
  });
});

describe('tier choice per range', () => {
  it.each([
    ['1h', ['raw']],
    ['24h', ['day', 'raw']],
    ['7d', ['long.w', 'day', 'raw']],
    ['30d', ['long.m', 'day', 'raw']],
    ['1y', ['long.y', 'long.m', 'day', 'raw']],
  ] as const)('%s is drawn from %j', (range, sources) => {
    expect(RANGES.find((r) => r.id === range)?.sources).toEqual(sources);
  });

  it('covers exactly the five ranges, coarse sources first', () => {
    expect(RANGES.map((r) => r.id)).toEqual(['1h', '24h', '7d', '30d', '1y']);
  });
});

describe('compact numbers', () => {
  it.each([
    [12.345, '12.3'], [0.1234, '0.123'], [123_456, '123000'], [999.9, '1000'], [0, '0'], [null, 'null'], [Number.NaN, 'null'], [4, '4'],
  ])('sig3(%s) = %s', (x, s) => expect(sig3(x)).toBe(s));

  it('encodes a regular raw window as step + count, KiB/s rates and MiB memory', () => {
    const cache = createRecentCache();
    const row = (ts: number) => ({ ts, cluster_id: 1, vmid: 100, uptime: 10, cpu: 0.25, mem: 2 * 1048576, disk: 0, netin_bps: 2048, netout_bps: 0, diskread_bps: null, diskwrite_bps: 0 });
    cache.add(1, [row(60), row(120), row(180), row(120)]);
    const s = JSON.parse(encodeWindow(cache.get(1, 100), 0)!) as Record<string, unknown>;
    expect(s).toEqual({ t0: 60, step: 60, n: 3, cpu: [25, 25, 25], mem: [2, 2, 2], ni: [2, 2, 2] });
    expect(JSON.parse(encodeWindow(cache.get(1, 100), 100, 180)!)).toMatchObject({ t0: 120, n: 1 });
    // Empty is decided on the samples, not by searching the output: no series at all.
    expect(encodeWindow(cache.get(1, 100), 200)).toBeNull();
    expect(encodeWindow(undefined, 0)).toBeNull();
  });

  it('leaves out a metric whose every value prints as 0 or null (decided on the numbers), keeps one with any other', () => {
    const cache = createRecentCache();
    const row = (ts: number, over: object) => ({ ts, cluster_id: 1, vmid: 100, uptime: ts, cpu: 0, mem: 0, disk: null, netin_bps: 0, netout_bps: 0, diskread_bps: 0, diskwrite_bps: 0, ...over });
    // mem under half a MiB prints as 0; a tiny rate does not (3 significant digits)
    cache.add(1, [row(60, { mem: 400_000, netin_bps: null }), row(120, { mem: 500_000, netin_bps: 0.001 })]);
    expect(JSON.parse(encodeWindow(cache.get(1, 100), 0)!)).toEqual({ t0: 60, step: 60, n: 2, ni: [null, 9.77e-7] });
    cache.add(1, [row(180, { mem: 600_000, cpu: 0.0001 })]);
    expect(JSON.parse(encodeWindow(cache.get(1, 100), 0)!)).toMatchObject({ n: 3, cpu: [0, 0, 0.01], mem: [0, 0, 1] });
  });

  it('keeps a guest window in typed columns: grows past its capacity, prunes, keeps nulls, cuts at a clock step', () => {
    const cache = createRecentCache();
    const row = (ts: number, cpu: number | null) => ({ ts, cluster_id: 1, vmid: 100, uptime: ts, cpu, mem: 1048576, disk: 0, netin_bps: 0, netout_bps: 0, diskread_bps: 0, diskwrite_bps: 0 });
    // 200 samples: more than the initial room of 80.
    cache.add(1, Array.from({ length: 200 }, (_, k) => row(60 * (k + 1), k % 50 === 0 ? null : 0.5)));
    const all = JSON.parse(encodeWindow(cache.get(1, 100), 0)!) as { n: number; cpu: Array<number | null> };
    expect(all.n).toBe(200);
    expect(all.cpu.filter((x) => x === null)).toHaveLength(4);
    expect(all.cpu[1]).toBe(50);
    cache.prune(60 * 151);
    expect(JSON.parse(encodeWindow(cache.get(1, 100), 0)!)).toMatchObject({ t0: 60 * 151, n: 50 });
    // A snapshot stamped at or before the newest sample (a backward clock step) drops the later ones.
    cache.addSnapshot(1, { cluster: 'c', ts: 60 * 180, endpoint: '', info: { pveName: 'c', quorate: true, nodeCount: 1, pveVersion: '8', pveRelease: '8' }, nodes: [], storages: [], tasks: [], guests: [] });
    expect(JSON.parse(encodeWindow(cache.get(1, 100), 0)!)).toMatchObject({ t0: 60 * 151, n: 29 });
    expect(cache.watermark(1)).toBe(60 * 180);
    cache.addPacked(2, [{ vmid: 7, ts: '[60,120]', uptime: '[1,2]', cpu: '[0.1,null]', mem: '[0,0]', disk: '[0,0]', ni: '[0,0]', no: '[0,0]', dr: '[0,0]', dw: '[0,0]' }]);
    expect(JSON.parse(encodeWindow(cache.get(2, 7), 0)!)).toEqual({ t0: 60, step: 60, n: 2, cpu: [10, null] });
  });

  it('gives back a window\'s room once pruning leaves it a quarter full (bounded memory)', () => {
    const cache = createRecentCache();
    const row = (ts: number) => ({ ts, cluster_id: 1, vmid: 100, uptime: ts, cpu: 0.5, mem: 1048576, disk: 0, netin_bps: 0, netout_bps: 0, diskread_bps: 0, diskwrite_bps: 0 });
    const perSample = 2 * 8 + 7 * 4;
    cache.add(1, [row(60)]);
    expect(cache.bytes()).toBe(INITIAL_CAP * perSample);
    // An hour at a 10 s interval: the room doubles as needed.
    cache.add(1, Array.from({ length: 400 }, (_, k) => row(70 + 10 * k)));
    expect(cache.bytes()).toBe(512 * perSample);
    // Pruned to the last 10 minutes (59 samples): 128 samples of room, not 512.
    cache.prune(4070 - 600 + 10);
    expect(JSON.parse(encodeWindow(cache.get(1, 100), 0)!)).toMatchObject({ t0: 3480, step: 10, n: 59 });
    expect(cache.bytes()).toBe(128 * perSample);
    // A guest whose samples all aged out is dropped.
    cache.prune(10_000);
    expect(cache.get(1, 100)).toBeUndefined();
    expect(cache.bytes()).toBe(0);
  });

  it('leaves out gap-free offsets and all-zero metrics of tier series', () => {
    expect(JSON.parse(seriesJson({ t0: 1000, step: 300, i: '0,1,2', metrics: { cpu: '1,2,3', disk: '0,0,null' } }))).toEqual({ t0: 1000, step: 300, n: 3, cpu: [1, 2, 3] });
    expect(JSON.parse(seriesJson({ t0: 1000, step: 300, i: '2,3,5', metrics: { cpu: '1,2,3' } }))).toEqual({ t0: 1600, step: 300, n: 3, i: [0, 1, 3], cpu: [1, 2, 3] });
  });
});
