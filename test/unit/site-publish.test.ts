import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KEEP, createPublisher as realCreatePublisher, fsWriter, unitOf, type Entry, type Publisher, type SiteWriter } from '../../agent/site/publish.ts';
import { createWriteQueue } from '../../agent/site/site-writer.ts';

// Old releases are removed in the background: wait for it before the temp dir goes.
const made: Publisher[] = [];
const createPublisher = (opts: Parameters<typeof realCreatePublisher>[0]) => {
  const p = realCreatePublisher(opts);
  made.push(p);
  return p;
};

let out: string;
beforeEach(() => {
  out = mkdtempSync(join(tmpdir(), 'pmi-publish-'));
});
afterEach(async () => {
  await Promise.all(made.splice(0).map((p) => p.settled()));
  rmSync(out, { recursive: true, force: true });
});

const site = (over: Record<string, Entry> = {}) =>
  new Map<string, Entry>(Object.entries({
    'index.html': '<h1>v1</h1>',
    'data/live/pve/1xx.json': '{"g":{}}',
    'g/pve/1xx/101.html': 'guest 101',
    'g/pve/1xx/101.json': '{"vmid":101}',
    'g/pve/2xx/201.html': 'guest 201',
    ...over,
  }));
const read = (p: string) => readFileSync(join(out, 'current', p), 'utf8');

describe('publish after a crash (regressions found in review)', () => {
  it('a half-written release left by a crash is neither linked from nor served', async () => {
    const p1 = createPublisher({ outDir: out });
    await p1.publish(site());
    await p1.settled();
    // The crash: release 2 was being written, missing index.html, with a partial guest page.
    const leftover = join(out, 'releases', '00000002');
    mkdirSync(join(leftover, 'data'), { recursive: true });
    writeFileSync(join(leftover, 'data', 'partial.html'), 'X2-parti');
    const p2 = createPublisher({ outDir: out });
    await p2.publish(site({ 'data/partial.html': 'X1 complete' }));
    expect(read('index.html')).toBe('<h1>v1</h1>');
    expect(read('data/partial.html')).toBe('X1 complete');
    await p2.publish(site({ 'data/partial.html': 'X1 complete', 'index.html': '<h1>v2</h1>' }));
    expect(read('index.html')).toBe('<h1>v2</h1>');
    expect(read('g/pve/1xx/101.html')).toBe('guest 101');
  });

  it('a dangling current (its release deleted) is rebuilt in full instead of failing every build', async () => {
    const p1 = createPublisher({ outDir: out });
    await p1.publish(site());
    await p1.settled();
    rmSync(join(out, 'releases'), { recursive: true });
    const p2 = createPublisher({ outDir: out });
    const r = await p2.publish(site());
    expect(r.written).toBe(site().size);
    expect(read('g/pve/2xx/201.html')).toBe('guest 201');
  });
});

describe('publish', () => {
  it('splits guest buckets from the root', async () => {
    expect(unitOf('g/pve/1xx/101.html')).toEqual({ unit: 'g/pve/1xx', name: '101.html' });
    expect(unitOf('index.html')).toEqual({ unit: '', name: 'index.html' });
    expect(unitOf('g/short')).toEqual({ unit: '', name: 'g/short' });
    expect(unitOf('data/tiers/pve/n1.day.json')).toEqual({ unit: 'data/tiers/pve', name: 'n1.day.json' });
    expect(unitOf('data/nodes/pve/n1.json')).toEqual({ unit: '', name: 'data/nodes/pve/n1.json' });
  });

  it('switches `current` to a complete new release', async () => {
    const p = createPublisher({ outDir: out });
    const r1 = await p.publish(site());
    expect(r1).toMatchObject({ files: 5, written: 5, unchanged: 0, release: 1 });
    expect(readlinkSync(join(out, 'current'))).toBe(join('releases', '00000001'));
    expect(read('g/pve/1xx/101.html')).toBe('guest 101');
    await p.publish(site({ 'index.html': '<h1>v2</h1>' }));
    expect(readlinkSync(join(out, 'current'))).toBe(join('releases', '00000002'));
    expect(read('index.html')).toBe('<h1>v2</h1>');
  });

  it('writes only files whose content changed; unchanged ones are hard links of the previous release', async () => {
    const p = createPublisher({ outDir: out });
    await p.publish(site());
    const r2 = await p.publish(site({ 'g/pve/1xx/101.json': '{"vmid":101,"x":1}' }));
    expect(r2).toMatchObject({ written: 1, unchanged: 4, bytes: Buffer.byteLength('{"vmid":101,"x":1}') });
    expect(statSync(join(out, 'current', 'index.html')).nlink).toBeGreaterThanOrEqual(2);
    const r3 = await p.publish(site({ 'g/pve/1xx/101.json': '{"vmid":101,"x":1}' }));
    expect(r3).toMatchObject({ written: 0, unchanged: 5, bytes: 0 });
  });

  it('a bucket whose later file changed keeps the earlier unchanged ones; one that only lost a file drops it', async () => {
    const p = createPublisher({ outDir: out });
    await p.publish(site({ 'g/pve/1xx/102.html': 'guest 102' }));
    // 101.html (unchanged) is handed in before 101.json (changed): it must still be in the new version.
    await p.publish(site({ 'g/pve/1xx/101.json': '{"vmid":101,"x":2}', 'g/pve/1xx/102.html': KEEP }));
    expect([read('g/pve/1xx/101.html'), read('g/pve/1xx/101.json'), read('g/pve/1xx/102.html')]).toEqual(['guest 101', '{"vmid":101,"x":2}', 'guest 102']);
    const before = readlinkSync(join(out, 'current', 'g/pve/1xx'));
    const r = await p.publish(site({ 'g/pve/1xx/101.json': '{"vmid":101,"x":2}' }));
    expect(r.written).toBe(0);
    expect(readlinkSync(join(out, 'current', 'g/pve/1xx'))).not.toBe(before);
    expect(existsSync(join(out, 'current', 'g/pve/1xx/102.html'))).toBe(false);
    expect(read('g/pve/1xx/101.html')).toBe('guest 101');
    // Nothing changed at all: the bucket keeps its version.
    const same = readlinkSync(join(out, 'current', 'g/pve/1xx'));
    await p.publish(site({ 'g/pve/1xx/101.json': '{"vmid":101,"x":2}' }));
    expect(readlinkSync(join(out, 'current', 'g/pve/1xx'))).toBe(same);
  });

  it('KEEP carries a file over; KEEP of an unknown file is a bug', async () => {
    const p = createPublisher({ outDir: out });
    await p.publish(site());
    expect((await p.publish(site({ 'g/pve/1xx/101.html': KEEP }))).written).toBe(0);
    expect(read('g/pve/1xx/101.html')).toBe('guest 101');
    await expect(p.publish(site({ 'g/pve/9xx/999.html': KEEP }))).rejects.toThrow(/does not have/);
  });

  it('removes files that are no longer in the site and old releases', async () => {
    const p = createPublisher({ outDir: out });
    await p.publish(site());
    const next = site();
    next.delete('g/pve/2xx/201.html');
    await p.publish(next);
    await p.publish(next);
    // Old releases are removed in the background after the switch; the next build waits for it.
    await p.settled();
    expect(existsSync(join(out, 'current', 'g/pve/2xx/201.html'))).toBe(false);
    expect(existsSync(join(out, 'releases', '00000001'))).toBe(false);
  });

  it('rebuilds its manifest from disk: a new publisher writes nothing for an unchanged site', async () => {
    await createPublisher({ outDir: out }).publish(site());
    const again = createPublisher({ outDir: out });
    expect(again.has('g/pve/1xx/101.json')).toBe(true);
    expect(await again.publish(site())).toMatchObject({ written: 0, unchanged: 5, release: 2 });
  });

  it('a file it wrote new is read back for a comparison only when the new content has its size', async () => {
    const p = createPublisher({ outDir: out });
    await p.publish(site());
    // The files on disk are changed behind its back to what the next build hands in: the same
    // size is compared by reading (unchanged), another size is rewritten without reading.
    writeFileSync(join(out, 'current', 'g/pve/1xx/101.html'), 'guest 1X1');
    writeFileSync(join(out, 'current', 'g/pve/1xx/101.json'), '{"vmid":101,"x":1}');
    const r = await p.publish(site({ 'g/pve/1xx/101.html': 'guest 1X1', 'g/pve/1xx/101.json': '{"vmid":101,"x":1}' }));
    expect(r).toMatchObject({ written: 1, unchanged: 4, bytes: Buffer.byteLength('{"vmid":101,"x":1}') });
    expect([read('g/pve/1xx/101.html'), read('g/pve/1xx/101.json')]).toEqual(['guest 1X1', '{"vmid":101,"x":1}']);
  });

  it('plan() reports what would change without touching the disk', async () => {
    const p = createPublisher({ outDir: out });
    await p.publish(site());
    expect(p.plan(site({ 'index.html': 'changed' }))).toMatchObject({ written: 1, unchanged: 4 });
    expect(read('index.html')).toBe('<h1>v1</h1>');
  });

  it('removes dropped releases and their state, keeps the live and the previous one intact, and keeps no spare files', async () => {
    const p = createPublisher({ outDir: out });
    for (const v of [1, 2, 3]) await p.publish(site({ 'index.html': `v${v}`, 'g/pve/1xx/101.json': `{"v":${v}}` }));
    await p.settled();
    expect(readdirSync(join(out, 'releases')).sort()).toEqual(['00000002', '00000003']);
    expect(readdirSync(join(out, 'state')).sort()).toEqual(['00000002.json', '00000003.json']);
    expect(readdirSync(join(out, 'trees', 'pve')).sort()).toEqual(['1xx.00000002', '1xx.00000003', '2xx.00000001']);
    expect(existsSync(join(out, '.spare'))).toBe(false);
    expect(read('g/pve/1xx/101.json')).toBe('{"v":3}');
    expect(readFileSync(join(out, 'releases', '00000002', 'index.html'), 'utf8')).toBe('v2');
    expect(readFileSync(join(out, 'releases', '00000002', 'g/pve/1xx/101.json'), 'utf8')).toBe('{"v":2}');
  });

  it('persists the state it is given with each release and hands it back to the next publisher', async () => {
    const p = createPublisher({ outDir: out });
    await p.publish(site());
    const rel = await p.begin();
    for (const [path, entry] of site({ 'index.html': 'v2' })) rel.put(path, entry);
    await rel.commit({ marks: [1, 2] });
    await p.settled();
    const warnings: string[] = [];
    expect(createPublisher({ outDir: out, warn: (m) => warnings.push(m) }).loadedState).toEqual({ marks: [1, 2] });
    // Refused by the builder's validation: the live release is not trusted, everything is written.
    const refused = createPublisher({ outDir: out, warn: (m) => warnings.push(m), validateState: () => 'marks: expected an object' });
    expect(refused.loadedState).toBeUndefined();
    expect(warnings).toEqual([expect.stringMatching(/site state of release 2 .*one full build follows/)]);
    expect(refused.plan(site({ 'index.html': 'v2' }))).toMatchObject({ written: 5, unchanged: 0 });
    // Someone removes the state directory: the next release writes it again.
    rmSync(join(out, 'state'), { recursive: true });
    await p.publish(site({ 'index.html': 'v3' }));
    expect(createPublisher({ outDir: out }).loadedState).toBeNull();
  });

  it('holds the renderer back while many writes wait to start (a build is not held in memory at once)', async () => {
    const pending: Array<() => void> = [];
    const slow: SiteWriter = { ...fsWriter, writeFile: () => new Promise<void>((r) => pending.push(r)) };
    const q = createWriteQueue(slow);
    for (let k = 0; k < 20; k++) q.write(`/nowhere/${k}`, 'x');
    let drained = false;
    void q.drain(4).then(() => (drained = true));
    const tick = () => new Promise((r) => setImmediate(r));
    await tick();
    // 8 writes run, 12 wait: the renderer waits until only 4 do.
    let released = 0;
    while (!drained && released < 20) {
      pending.shift()!();
      released++;
      await tick();
    }
    expect(released).toBe(8);
    while (pending.length) {
      pending.shift()!();
      await tick();
    }
    await q.settle();
  });

  it('a failing write keeps the previous site in place', async () => {
    const p = createPublisher({ outDir: out });
    await p.publish(site());
    // "x" is a directory (it holds x/y.html), so writing a file named "x" fails (EISDIR).
    await expect(p.publish(site({ 'index.html': 'new', 'x/y.html': 'y', x: 'not a file' }))).rejects.toThrow(/EISDIR/);
    expect(readlinkSync(join(out, 'current'))).toBe(join('releases', '00000001'));
    expect(read('index.html')).toBe('<h1>v1</h1>');
    expect(existsSync(join(out, 'releases', '00000002'))).toBe(false);
    expect((await p.publish(site({ 'index.html': 'new' }))).release).toBe(2);
    expect(read('index.html')).toBe('new');
  });

  it('failed build (ENOSPC) keeps the previous site in place', async () => {
    await createPublisher({ outDir: out }).publish(site());
    let writes = 0;
    const failing: SiteWriter = {
      ...fsWriter,
      writeFile(path, data) {
        if (++writes > 1) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
        return fsWriter.writeFile(path, data);
      },
    };
    const p = createPublisher({ outDir: out, writer: failing });
    await expect(p.publish(site({ 'index.html': 'new', 'g/pve/1xx/101.html': 'new guest' }))).rejects.toThrow(/ENOSPC/);
    expect(readlinkSync(join(out, 'current'))).toBe(join('releases', '00000001'));
    expect(read('index.html')).toBe('<h1>v1</h1>');
    expect(read('g/pve/1xx/101.html')).toBe('guest 101');
    expect(existsSync(join(out, 'releases', '00000002'))).toBe(false);
    // The next build succeeds where the failed one stopped.
    const ok = createPublisher({ outDir: out });
    expect((await ok.publish(site({ 'index.html': 'new' }))).release).toBe(2);
    expect(read('index.html')).toBe('new');
  });
});
