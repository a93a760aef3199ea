import { describe, expect, it } from 'vitest';
import { DEFAULT_PERIODS, planFleet, tierQuery, type FleetPlanState } from '../../agent/site/roll-schedule.ts';
import { RawJson, pointSeries, toJson } from '../../agent/site/encode-json.ts';
import { sig3 } from '../../agent/site/encode-series.ts';
import { paths } from '../../agent/site/site-paths.ts';

const state = (t: number): FleetPlanState => ({
  nodeRoll: { day: t, long: t },
  nodePages: new Map([['nodes/c/n1.html', { ts: t, digest: 'd1' }]]),
  pageDigests: new Map([['tasks.html', 'a']]),
});
const all = () => true;
const opts = (nowSec: number, over: Partial<Parameters<typeof planFleet>[1]> = {}) => ({ nowSec, intervalSeconds: 60, periods: DEFAULT_PERIODS, full: false, has: all, ...over });

describe('plan of the fleet files (pure: state + what exists + clock)', () => {
  it('plans everything when the build is full', () => {
    const p = planFleet(state(1000), opts(1060, { full: true }));
    expect(p.tiers).toEqual({ day: true, long: true });
    expect(p.page('tasks.html', 'a')).toBe(true);
    expect(p.nodePage('nodes/c/n1.html', 1, 'd1')).toBe(true);
    expect(p.next.nodeRoll).toEqual({ day: 1060, long: 1060 });
  });

  it('keeps unchanged pages and tier files inside their periods, and records what it kept', () => {
    const p = planFleet(state(1000), opts(1060));
    expect(p.tiers).toEqual({ day: false, long: false });
    expect(p.page('tasks.html', 'a')).toBe(false);
    expect(p.page('tasks.html', 'b')).toBe(true);
    expect(p.nodePage('nodes/c/n1.html', 1, 'd1')).toBe(false);
    expect(p.next.nodePages.get('nodes/c/n1.html')).toEqual({ ts: 1000, digest: 'd1' });
    expect(p.next.nodeRoll).toEqual({ day: 1000, long: 1000 });
  });

  it('renders a node page at once when what it shows changed, or when the file is missing', () => {
    expect(planFleet(state(1000), opts(1060)).nodePage('nodes/c/n1.html', 1, 'd2')).toBe(true);
    expect(planFleet(state(1000), opts(1060, { has: (p) => p !== 'nodes/c/n1.html' })).nodePage('nodes/c/n1.html', 1, 'd1')).toBe(true);
  });

  it('staggers node pages: each is re-rendered once per half html period', () => {
    let due = 0;
    for (let slot = 0; slot < 30; slot++) if (planFleet(state(100_000), opts(100_000 + slot * 60)).nodePage('nodes/c/n1.html', 7, 'd1')) due++;
    expect(due).toBe(1);
  });

  it('puts the day files on the day period and the long ones on the long period; a missing storage file forces day', () => {
    expect(planFleet(state(0), opts(DEFAULT_PERIODS.daySeconds)).tiers).toEqual({ day: true, long: false });
    expect(planFleet(state(0), opts(DEFAULT_PERIODS.longSeconds)).tiers).toEqual({ day: true, long: true });
    expect(planFleet(state(0), opts(60, { has: (p) => p !== paths.storageSeries })).tiers.day).toBe(true);
  });

  it('brings a group of tier files in at once when one of its day files is missing', () => {
    const p = planFleet(state(1000), opts(1060, { has: (x) => x !== 'data/tiers/c/new.day.json' }));
    expect(p.tiersFor(['data/tiers/c/old.day.json'])).toEqual({ day: false, long: false });
    expect(p.tiersFor(['data/tiers/c/old.day.json', 'data/tiers/c/new.day.json'])).toEqual({ day: true, long: true });
    expect(p.next.nodeRoll).toEqual({ day: 1000, long: 1000 });
  });

  it('aligns tier queries to their buckets', () => {
    expect(tierQuery('day', 100_000)).toEqual({ tier: '5m', from: 13_500, group: 300 });
  });
});

describe('the one JSON encoder', () => {
  it('encodes values like JSON.stringify and embeds series text as it is', () => {
    const doc = { v: 1, name: 'a"b', skip: undefined, list: [1, null, 'x'], nested: { raw: new RawJson('{"n":0}') } };
    expect(JSON.parse(toJson(doc))).toEqual({ v: 1, name: 'a"b', list: [1, null, 'x'], nested: { raw: { n: 0 } } });
  });

  it('refuses series text where it cannot stand as it is', () => {
    expect(() => toJson({ a: [new RawJson('1')] })).toThrow(/property only/);
  });

  it('encodes points as a series: regular without offsets, irregular with them', () => {
    const reg = JSON.parse(pointSeries([{ ts: 100, v: [0.5] }, { ts: 160, v: [0.25] }], [['cpu', sig3]]).text);
    expect(reg).toEqual({ t0: 100, step: 60, n: 2, cpu: [0.5, 0.25] });
    const irr = JSON.parse(pointSeries([{ ts: 100, v: [1] }, { ts: 160, v: [2] }, { ts: 400, v: [3] }], [['cpu', sig3]]).text);
    expect(irr).toEqual({ t0: 100, step: 1, n: 3, i: [0, 60, 300], cpu: [1, 2, 3] });
    expect(JSON.parse(pointSeries([], [['cpu', sig3]]).text)).toEqual({ t0: 0, step: 1, n: 0 });
  });
});
