// The pages' scripts format numbers with one file, site-templates/assets/format.js (site.js and
// charts.js each had their own copy, and charts.js rewrote a built "2.0 GiB" as "2 GiB", a built
// "42s" as "0m 42s"). Its rules are the build's (agent/site/format.ts): checked value by value.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { fmtBytes, fmtDuration, fmtPct, fmtRate, fmtTime } from '../../agent/site/format.ts';
import { TEMPLATES_DIR } from '../../agent/site/render.ts';

interface PMIFormat {
  bytes(n: number | null, suffix?: string, whole?: boolean): string;
  unit(u: string, v: number | null, whole?: boolean): string;
  duration(s: number | null): string;
  utc(ms: number): string;
}
const window: { PMIFormat?: PMIFormat } = {};
runInNewContext(readFileSync(join(TEMPLATES_DIR, 'assets/format.js'), 'utf8'), { window });
const F = window.PMIFormat!;

describe('format.js', () => {
  it('writes bytes, rates, percentages, durations and times as the build does', () => {
    const bytes = [0, 1, 1023, 1024, 1536, 10 * 1024, 2 ** 31, 2 ** 31 + 5e7, 3 * 2 ** 40, 5 * 2 ** 50, 2 ** 60, -2048];
    for (const b of bytes) expect(F.bytes(b), `${b} bytes`).toBe(fmtBytes(b));
    for (const b of bytes) expect(F.unit('b', b), `${b} bytes`).toBe(fmtBytes(b));
    for (const mib of [0, 0.5, 1, 512, 2048, 2049.5]) expect(F.unit('mib', mib), `${mib} MiB`).toBe(fmtBytes(mib * 2 ** 20));
    for (const kib of [0, 0.25, 3, 1500]) expect(F.unit('rate', kib), `${kib} KiB/s`).toBe(fmtRate(kib * 1024));
    for (const f of [0, 0.0456, 0.0999, 0.1, 0.897, 1]) expect(F.unit('pct', f * 100), `${f}`).toBe(fmtPct(f));
    for (const s of [0, 42, 60, 62, 3599, 3600, 7260, 86_400, 90_061, 3 * 86_400 + 7200]) expect(F.duration(s), `${s} s`).toBe(fmtDuration(s));
    for (const ts of [0, 1_795_780_800, 1_795_780_859]) expect(F.utc(ts * 1000)).toBe(fmtTime(ts));
    for (const none of [null, Number.NaN]) {
      expect(F.bytes(none)).toBe('–');
      expect(F.unit('pct', none)).toBe('–');
      expect(F.duration(none)).toBe('–');
    }
  });

  it('drops the decimals of a whole number only when asked (axis ticks)', () => {
    expect(F.unit('mib', 2048, true)).toBe('2 GiB');
    expect(F.unit('mib', 2048)).toBe('2.0 GiB');
    expect(F.unit('mib', 1536, true)).toBe('1.5 GiB');
    expect(F.unit('rate', 4, true)).toBe('4 KiB/s');
  });
});
