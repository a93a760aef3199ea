// fastResourceItem must give exactly what zod's ResourceItem gives (it replaces it for the big
// /cluster/resources list, see pve-schemas.ts): compared on captured answers and on random
// entries built from the odd values Proxmox and broken proxies send.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ResourceItem, fastResourceItem, parseItems } from '../../agent/pve/pve-schemas.ts';

const FIXTURES = join(import.meta.dirname, '../fixtures/pve');
const KEYS = Object.keys(ResourceItem.shape);
const ODD: unknown[] = [undefined, null, 0, 1, -1, 2, 0.5, 1e300, NaN, Infinity, -Infinity, '', ' ', '0', '1', '12', ' 12 ', '1e3', '0x10', 'abc', 'qemu', true, false, {}, [], [1], { a: 1 }, 10n, Symbol('s')];

/** Deterministic pseudo-random numbers (mulberry32), so a failure reproduces. */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function expectSame(raw: unknown): void {
  const z = ResourceItem.safeParse(raw);
  const f = fastResourceItem(raw);
  if (f === undefined) return; // zod decides these: nothing to compare
  expect(z.success, `zod rejects what the fast path accepted: ${String(JSON.stringify(raw, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v)))}`).toBe(true);
  expect(f).toStrictEqual(z.data);
  expect(Object.keys(f)).toEqual(Object.keys(z.data!));
}

describe('fastResourceItem', () => {
  it('equals zod on every captured /cluster/resources entry', () => {
    let n = 0;
    for (const dir of readdirSync(FIXTURES)) {
      let files: string[];
      try {
        files = readdirSync(join(FIXTURES, dir)).filter((f) => /resources.*\.json$/.test(f));
      } catch {
        continue;
      }
      for (const file of files) {
        const data = (JSON.parse(readFileSync(join(FIXTURES, dir, file), 'utf8')) as { data?: unknown }).data;
        if (!Array.isArray(data)) continue;
        for (const raw of data) {
          expect(fastResourceItem(raw), `${dir}/${file}`).toBeDefined();
          expectSame(raw);
          n++;
        }
      }
    }
    expect(n).toBeGreaterThan(20);
  });

  it('equals zod on 5,000 random entries of odd values, missing and undefined keys', () => {
    const rand = rng(7);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
    for (let i = 0; i < 5000; i++) {
      const raw: Record<string, unknown> = {};
      for (const k of KEYS) {
        const p = rand();
        if (p < 0.3) continue; // absent
        raw[k] = k === 'type' && p < 0.8 ? pick(['qemu', 'lxc', 'node', 'storage']) : pick(ODD);
      }
      if (rand() < 0.1) raw.extra = pick(ODD);
      expectSame(raw);
    }
  });

  it('leaves what zod rejects to zod: parseItems still reports those entries', () => {
    const bad = [null, [], 'x', { id: 'qemu/1' }, { id: 'qemu/1', type: 5 }];
    for (const raw of bad) expect(fastResourceItem(raw)).toBeUndefined();
    const r = parseItems(ResourceItem, [{ id: 'qemu/100', type: 'qemu', vmid: 100 }, ...bad]);
    expect(r.items).toEqual([{ id: 'qemu/100', type: 'qemu', vmid: 100 }]);
    expect(r.issues.map((i) => i.index)).toEqual([1, 2, 3, 4, 5]);
  });
});
