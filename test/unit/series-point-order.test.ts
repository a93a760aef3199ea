// The series guard of site-series.repository.ts: PostgreSQL 16+ may join parallel workers'
// partial string_agg lists in any order; inPointOrder puts a row's points back in time order.
import { describe, expect, it } from 'vitest';
import { inPointOrder } from '../../agent/store/site-series.repository.ts';

describe('inPointOrder', () => {
  it('returns a row already in order as it is (the same object)', () => {
    const row = { k: 101, i: '0,1,2,5,300', cpu: '1,2,3,4,5', mem: 'null,7,8,9,10' };
    expect(inPointOrder(row, ['cpu', 'mem'])).toBe(row);
    const one = { k: 1, i: '7', cpu: '3.5' };
    expect(inPointOrder(one, ['cpu'])).toBe(one);
    const empty = { k: 1, i: '', cpu: '' };
    expect(inPointOrder(empty, ['cpu'])).toBe(empty);
  });

  it('sorts the points of two partial lists joined out of order by their offsets, every metric alike', () => {
    // worker B's half (offsets 3..5) came before worker A's (0..2)
    const row = { k: 101, i: '3,4,5,0,1,2', cpu: '13,14,15,10,11,12', mem: '4,null,6,1,2,3', ni: '0.5,1e+03,2,7,8,9' };
    expect(inPointOrder(row, ['cpu', 'mem', 'ni'])).toEqual({ k: 101, i: '0,1,2,3,4,5', cpu: '10,11,12,13,14,15', mem: '1,2,3,4,null,6', ni: '7,8,9,0.5,1e+03,2' });
  });

  it('orders negative offsets (points before t0) and multi-digit ones numerically, not as text', () => {
    const row = { k: 1, i: '10,9,-1,100', cpu: 'a,b,c,d' };
    expect(inPointOrder(row, ['cpu'])).toEqual({ k: 1, i: '-1,9,10,100', cpu: 'c,b,a,d' });
    // a repeated offset is not "in order" either: it is sorted (stably) rather than passed
    expect(inPointOrder({ k: 1, i: '2,2,1', cpu: 'x,y,z' }, ['cpu'])).toEqual({ k: 1, i: '1,2,2', cpu: 'z,x,y' });
  });
});
