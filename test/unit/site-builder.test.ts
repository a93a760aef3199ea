import { existsSync, readFileSync, readdirSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../agent/log/logger.ts';
import { fsWriter, type SiteWriter } from '../../agent/site/publish.ts';
import { jsonForScript } from '../../agent/site/render.ts';
import { createSiteBuilder, oldestUnpublished, type SiteBuilderDeps } from '../../agent/site/site-builder.ts';
import type { BucketState, PartState } from '../../agent/site/render-guest-buckets.ts';
import { makeSynthetic, type Synthetic } from '../../scripts/bench/site.bench.ts';

const HOSTILE = '"><script>alert(1)</script>';
let syn: Synthetic | undefined;
afterEach(async () => {
  await syn?.dispose();
  syn = undefined;
});

function setup(extra: Partial<SiteBuilderDeps> = {}) {
  const lines: Array<Record<string, unknown>> = [];
  const log = createLogger({ level: 'info', destination: new Writable({ write: (c, _e, cb) => { lines.push(JSON.parse(String(c)) as Record<string, unknown>); cb(); } }) });
  const clock = { ms: syn!.now * 1000 };
  const outDir = join(syn!.dir, 'site');
  const builder = createSiteBuilder({
    db: syn!.store.db, log, now: () => clock.ms, outDir,
    config: { pollIntervalSeconds: 60, site: { title: 'PMI Dashboard', staleAfterIntervals: 3 } },
    ...extra,
  });
  return { builder, lines, clock, outDir };
}

/** A site of 150 synthetic guests built once by a builder that was then stopped (an agent's earlier run). */
async function builtOnce() {
  syn = await makeSynthetic(150);
  const first = setup();
  await first.builder.build();
  await first.builder.stop();
  return first;
}

/** The newest state file the site's releases wrote (state/<n>.json). */
function newestState(outDir: string): string {
  const dir = join(outDir, 'state');
  return join(dir, readdirSync(dir).sort().pop()!);
}

/** The part JSON (DATA-FORMAT revision 6) in the bucket directory `dir` that holds guest `vmid`. */
function partDoc<T>(dir: string, vmid: number): T & { g: Record<string, unknown> } {
  for (const name of readdirSync(dir).filter((n) => /^p\d+\.json$/.test(n))) {
    const doc = JSON.parse(readFileSync(join(dir, name), 'utf8')) as T & { g: Record<string, unknown> };
    if (doc.g[String(vmid)]) return doc;
  }
  throw new Error(`no part JSON in ${dir} holds guest ${vmid}`);
}

const text = (files: Map<string, string | Buffer>, p: string) => {
  const f = files.get(p);
  if (f === undefined) throw new Error(`missing ${p}`);
  return String(f);
};

describe('site builder', () => {
  it('escapes a hostile guest name and tag everywhere they appear', async () => {
    syn = await makeSynthetic(30, { hostile: true });
    const { builder } = setup();
    const { files } = await builder.build({ toMemory: true });
    const pages = [...files!].filter(([p]) => p.endsWith('.html'));
    expect(pages.length).toBeGreaterThan(30);
    for (const [p, c] of pages) {
      expect(String(c), p).not.toContain('<script>alert(1)</script>');
      expect(String(c), p).not.toContain('<img src=x');
    }
    expect(text(files!, 'guests.html')).toContain('&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(text(files!, 'g/bench1/1xx/100.html')).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect((JSON.parse(text(files!, 'g/bench1/1xx/p4.json')) as { g: Record<string, { name: string }> }).g['100']!.name).toBe(HOSTILE);
    const status = JSON.parse(text(files!, 'status.json')) as { guests: unknown[][] };
    expect(status.guests[0]![2]).toBe(HOSTILE);
  });

  it('keeps in memory only the samples some part has not published yet (the oldest raw cut)', () => {
    const part = (rawCut: number): PartState => ({ raw: rawCut, html: 0, day: 0, long: 0, rawCut, chunks: [], dayCut: 0, dayChunks: [] });
    const bucket = (...cuts: number[]): BucketState => ({ digest: '', vmids: '', parts: cuts.map(part) });
    expect(oldestUnpublished(new Map(), 2)).toBe(0);
    expect(oldestUnpublished(new Map([['c/1', bucket(600, 660)], ['c/2', bucket(720, 540)]]), 2)).toBe(541);
    // a part never published, or parts that do not match the schedule: the whole window
    expect(oldestUnpublished(new Map([['c/1', bucket(600, 0)]]), 2)).toBe(0);
    expect(oldestUnpublished(new Map([['c/1', bucket(600, 660, 700)]]), 2)).toBe(0);
  });

  it('keeps JSON inside <script type="application/json"> inert', () => {
    expect(jsonForScript({ a: '</script><script>x()</script>&' })).not.toMatch(/[<>&]/);
    expect(JSON.parse(jsonForScript({ a: '</script>' }))).toEqual({ a: '</script>' });
  });

  it('links every guest, node and cluster to a page that exists', async () => {
    syn = await makeSynthetic(250);
    const { builder } = setup();
    const { files } = await builder.build({ toMemory: true });
    // engine (#13): the table of every guest is on guests.html; the overview links to it
    expect(text(files!, 'index.html')).toContain('href="guests.html"');
    const overview = text(files!, 'guests.html');
    const hrefs = [...overview.matchAll(/href="([^"]+\.html)"/g)].map((m) => m[1]!);
    for (const g of syn.clusters[0]!.guests) expect(hrefs).toContain(`g/bench1/${Math.floor(g.vmid / 100)}xx/${g.vmid}.html`);
    for (const h of new Set(hrefs)) expect(files!.has(h), h).toBe(true);
    const guestPage = text(files!, 'g/bench1/2xx/200.html');
    for (const m of guestPage.matchAll(/href="\.\.\/\.\.\/\.\.\/([^"]+\.html)"/g)) expect(files!.has(m[1]!), m[1]).toBe(true);
    const data = JSON.parse(/<script type="application\/json" id="page-data">(.*)<\/script>/.exec(guestPage)![1]!) as { files: Record<string, string | null> };
    expect(files!.has(`g/bench1/2xx/${data.files.raw}`)).toBe(true);
    expect(files!.has(data.files.live!.replace('../../../', ''))).toBe(true);
  });

  it('writes nothing when nothing changed, and logs one summary line per build', async () => {
    syn = await makeSynthetic(120);
    const { builder, lines } = setup();
    const first = await builder.build();
    expect(first.written).toBeGreaterThan(100);
    const second = await builder.build({ dryRun: true });
    // Only the agent status page differs: it reports the previous build.
    expect(second.written).toBe(1);
    const third = await builder.build();
    expect(third.written).toBe(1);
    // the agent page (with its health coverage and poll-error sections) and the state file (which
    // lists each bucket part's chunks and long file)
    expect(third.bytes).toBeLessThan(8400);
    expect(third.unchanged).toBe(first.written + first.unchanged - 1);
    const summaries = lines.filter((l) => l.msg === 'site built');
    expect(summaries).toHaveLength(3);
    for (const k of ['pages', 'written', 'unchanged', 'ms', 'bytes']) expect(summaries[0]).toHaveProperty(k);
  });

  it('an ordinary cycle rewrites only a slice of the guests', async () => {
    syn = await makeSynthetic(400);
    const { builder, clock } = setup();
    const full = await builder.build();
    clock.ms += 60_000;
    builder.record(syn.cycle(clock.ms / 1000));
    const cycle = await builder.build();
    expect(cycle.written).toBeGreaterThan(0);
    expect(cycle.written).toBeLessThan(full.written / 4);
    expect(cycle.bytes).toBeLessThan(full.bytes / 4);
  });

  it('a failed build leaves the previous site in place and the next success shows the error', async () => {
    syn = await makeSynthetic(40);
    let fail = false;
    const writer: SiteWriter = {
      ...fsWriter,
      writeFile(p, d) {
        if (fail) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
        return fsWriter.writeFile(p, d);
      },
    };
    const { builder, clock, outDir, lines } = setup({ writer });
    await builder.build();
    const before = readlinkSync(join(outDir, 'current'));
    const overview = readFileSync(join(outDir, 'current', 'index.html'), 'utf8');
    fail = true;
    clock.ms += 60_000;
    await expect(builder.build()).rejects.toThrow(/ENOSPC/);
    expect(readlinkSync(join(outDir, 'current'))).toBe(before);
    expect(readFileSync(join(outDir, 'current', 'index.html'), 'utf8')).toBe(overview);
    expect(lines.some((l) => l.level === 'error' && /site build failed/.test(String(l.msg)))).toBe(true);
    fail = false;
    clock.ms += 60_000;
    await builder.build();
    expect(readFileSync(join(outDir, 'current', 'agent.html'), 'utf8')).toMatch(/Last failed site build.*ENOSPC/s);
  });

  it('keeps an unchanged cluster page without re-rendering it, and re-renders it when a guest is renamed', async () => {
    syn = await makeSynthetic(30);
    const { builder, clock, outDir } = setup();
    await builder.build();
    const page = () => readFileSync(join(outDir, 'current', 'clusters', 'bench1.html'), 'utf8');
    const before = page();
    clock.ms += 60_000;
    builder.record(syn.cycle(clock.ms / 1000));
    await builder.build();
    expect(page()).toBe(before);
    syn.store.sqlite.prepare("UPDATE guests SET name = 'renamed-guest', changed_at = ? WHERE vmid = 101").run(clock.ms / 1000);
    clock.ms += 60_000;
    builder.record(syn.cycle(clock.ms / 1000));
    await builder.build();
    expect(before).not.toContain('renamed-guest');
    expect(page()).toContain('renamed-guest');
  });

  it('a restart is an ordinary cycle: the persisted state spares what is unchanged', async () => {
    syn = await makeSynthetic(400);
    const first = setup();
    const full = await first.builder.build();
    first.clock.ms += 60_000;
    first.builder.record(syn.cycle(first.clock.ms / 1000));
    const ordinary = await first.builder.build();
    await first.builder.stop();
    // A new process on the same site directory, one cycle later.
    const again = setup();
    again.clock.ms = first.clock.ms + 60_000;
    again.builder.record(syn.cycle(again.clock.ms / 1000));
    const restart = await again.builder.build();
    expect(again.lines.filter((l) => l.level === 'warn')).toEqual([]);
    expect(restart.written).toBeLessThan(full.written / 4);
    expect(restart.bytes).toBeLessThan(full.bytes / 4);
    expect(restart.written).toBeLessThan(ordinary.written * 3);
    await again.builder.stop();
  });

  it('a state from before per-part long files gets a long file for every part on the first cycle', async () => {
    const first = await builtOnce();
    // The state as an agent before revision 4 of DATA-FORMAT.md wrote it: parts without `longs`.
    const file = newestState(first.outDir);
    const saved = JSON.parse(readFileSync(file, 'utf8')) as { state: { buckets: Record<string, { parts: Array<{ longs?: number[] }> }> } };
    for (const b of Object.values(saved.state.buckets)) for (const part of b.parts) delete part.longs;
    writeFileSync(file, JSON.stringify(saved));
    const again = setup();
    again.clock.ms = first.clock.ms + 60_000;
    again.builder.record(syn!.cycle(again.clock.ms / 1000));
    await again.builder.build();
    expect(again.lines.filter((l) => l.level === 'warn')).toEqual([]);
    const at = again.clock.ms / 1000;
    for (const g of syn!.clusters[0]!.guests.filter((x) => x.running)) {
      const dir = join(again.outDir, 'current', `g/bench1/${Math.floor(g.vmid / 100)}xx`);
      const doc = partDoc<{ files: { long: string | null } }>(dir, g.vmid);
      expect(doc.files.long, `guest ${g.vmid}`).toMatch(new RegExp(`^l\\d+\\.${at}\\.json$`));
      const long = JSON.parse(readFileSync(join(dir, doc.files.long!), 'utf8')) as { v: number; at: number; g: Record<string, { w: { n: number } }> };
      expect(long.v).toBe(1);
      expect(long.g[String(g.vmid)]!.w.n).toBeGreaterThan(0);
    }
    await again.builder.stop();
  });

  it('a release from before part JSON files gets them, and pages that read them, on the first cycle', async () => {
    const first = await builtOnce();
    // The live release as an agent before revision 6 of DATA-FORMAT.md left it: pages read <vmid>.json.
    const buckets = ['1xx', '2xx'].map((b) => join(first.outDir, 'current', 'g/bench1', b));
    for (const dir of buckets) {
      for (const name of readdirSync(dir)) {
        if (/^p\d+\.json$/.test(name)) rmSync(join(dir, name));
        const vmid = /^(\d+)\.html$/.exec(name)?.[1];
        if (vmid) writeFileSync(join(dir, name), readFileSync(join(dir, name), 'utf8').replace(/"raw":"p\d+\.json"/, `"raw":"${vmid}.json"`));
      }
    }
    const again = setup();
    again.clock.ms = first.clock.ms + 60_000;
    again.builder.record(syn!.cycle(again.clock.ms / 1000));
    await again.builder.build();
    for (const g of syn!.clusters[0]!.guests) {
      const dir = join(again.outDir, 'current', `g/bench1/${Math.floor(g.vmid / 100)}xx`);
      expect(readFileSync(join(dir, `${g.vmid}.html`), 'utf8'), `page of ${g.vmid}`).toContain(`"raw":"p${g.vmid % 6}.json"`);
      expect(partDoc<{ v: number }>(dir, g.vmid).v).toBe(1);
    }
    await again.builder.stop();
  });

  it("a cluster's node tier files are one unit: kept as one symlink between refreshes, named by the node pages", async () => {
    syn = await makeSynthetic(150);
    const { builder, clock, outDir } = setup();
    await builder.build();
    const unit = () => readlinkSync(join(outDir, 'current', 'data/tiers/bench1'));
    const first = unit();
    expect(first).toMatch(/trees\/bench1\/tiers\.\d{8}$/);
    for (let k = 0; k < 3; k++) {
      clock.ms += 60_000;
      builder.record(syn.cycle(clock.ms / 1000));
      await builder.build();
      expect(unit()).toBe(first);
    }
    const nodes = join(outDir, 'current', 'nodes/bench1');
    for (const page of readdirSync(nodes)) {
      const files = /"files":(\{[^}]*\})/.exec(readFileSync(join(nodes, page), 'utf8'))![1]!;
      const { day, long } = JSON.parse(files) as { day: string; long: string };
      for (const f of [day, long]) {
        expect(f).toMatch(/^\.\.\/\.\.\/data\/tiers\/bench1\//);
        expect(existsSync(join(nodes, f)), `${page}: ${f}`).toBe(true);
      }
    }
    // an hour later the unit is refreshed as a whole
    clock.ms += 3600_000;
    builder.record(syn.cycle(clock.ms / 1000));
    await builder.build();
    expect(unit()).not.toBe(first);
    await builder.stop();
  });

  it('a release from before data/tiers (DATA-FORMAT revision 7) gets node pages that name the tier files there, on the first cycle', async () => {
    const first = await builtOnce();
    // The live release as an agent before revision 7 left it: tier files beside the node files,
    // node pages naming them there, their digests taken without the path.
    const live = join(first.outDir, 'current');
    const tiers = join(live, 'data/tiers/bench1');
    for (const name of readdirSync(tiers)) writeFileSync(join(live, 'data/nodes/bench1', name), readFileSync(join(tiers, name)));
    rmSync(tiers);
    const nodes = join(live, 'nodes/bench1');
    for (const page of readdirSync(nodes)) writeFileSync(join(nodes, page), readFileSync(join(nodes, page), 'utf8').replaceAll('data/tiers/', 'data/nodes/'));
    const stateFile = newestState(first.outDir);
    const doc = JSON.parse(readFileSync(stateFile, 'utf8')) as { state: { nodePages: Record<string, { digest: string }> } };
    for (const p of Object.values(doc.state.nodePages)) p.digest = 'before-revision-7';
    writeFileSync(stateFile, JSON.stringify(doc));
    const again = setup();
    again.clock.ms = first.clock.ms + 60_000;
    again.builder.record(syn!.cycle(again.clock.ms / 1000));
    await again.builder.build();
    const now = join(again.outDir, 'current', 'nodes/bench1');
    for (const page of readdirSync(now)) {
      const { day, long } = JSON.parse(/"files":(\{[^}]*\})/.exec(readFileSync(join(now, page), 'utf8'))![1]!) as { day: string; long: string };
      for (const f of [day, long]) {
        expect(f).toContain('/data/tiers/bench1/');
        expect(existsSync(join(now, f)), `${page}: ${f}`).toBe(true);
      }
    }
    await again.builder.stop();
  });

  it('a missing or corrupt state means one full build, with a warning', async () => {
    syn = await makeSynthetic(60);
    for (const damage of ['remove', 'corrupt', 'invalid'] as const) {
      const first = setup();
      const full = await first.builder.build();
      await first.builder.stop();
      const file = newestState(first.outDir);
      if (damage === 'remove') rmSync(file);
      else if (damage === 'corrupt') writeFileSync(file, '{"v":1,"rele');
      else writeFileSync(file, JSON.stringify({ v: 1, release: Number(basename(file, '.json')), state: { buckets: 'x' } }));
      const again = setup();
      again.clock.ms = first.clock.ms + 60_000;
      const rebuilt = await again.builder.build();
      expect(again.lines.some((l) => l.level === 'warn' && /site state/.test(String(l.msg))), `${damage}: ${JSON.stringify(again.lines.slice(0, 3))}`).toBe(true);
      // Every page and file written again: nothing of the live release is trusted without its state.
      expect(rebuilt.unchanged, damage).toBe(0);
      expect(rebuilt.written, damage).toBe(full.written);
      await again.builder.stop();
      rmSync(first.outDir, { recursive: true, force: true });
    }
  });

  it('publishes each raw sample of the last hour once in chunks, the newer ones in the live file', async () => {
    syn = await makeSynthetic(150);
    const { builder, clock, outDir } = setup();
    // A cycle recorded before the first build (the agent records, then builds): it must not
    // hide the older samples that the first build reads.
    clock.ms += 60_000;
    builder.record(syn.cycle(clock.ms / 1000));
    await builder.build();
    const read = (p: string) => JSON.parse(readFileSync(join(outDir, 'current', p), 'utf8')) as Record<string, unknown>;
    const seen = new Map<string, string>();
    const running = syn.clusters[0]!.guests.filter((g) => g.running).slice(0, 12);
    for (let cycle = 0; cycle <= 25; cycle++) {
      if (cycle > 0) {
        clock.ms += 60_000;
        builder.record(syn.cycle(clock.ms / 1000));
        await builder.build();
      }
      const now = clock.ms / 1000;
      for (const g of running) {
        const dir = `g/bench1/${Math.floor(g.vmid / 100)}xx`;
        const doc = partDoc<{ files: { raw: string[]; live: string } }>(join(outDir, 'current', dir), g.vmid);
        const ts: number[] = [];
        const times = (s: { t0: number; step: number; n: number; i?: number[] } | undefined) => {
          for (let k = 0; s && k < s.n; k++) ts.push(s.t0 + (s.i ? s.i[k]! : k) * s.step);
        };
        for (const name of doc.files.raw) {
          const body = readFileSync(join(outDir, 'current', dir, name), 'utf8');
          // A chunk's name stands for its content: it is never rewritten.
          expect(seen.get(`${dir}/${name}`) ?? body, name).toBe(body);
          seen.set(`${dir}/${name}`, body);
          times((JSON.parse(body) as { g: Record<string, never> }).g[String(g.vmid)]);
        }
        const live = read(doc.files.live.replace('../../../', '')) as { g: Record<string, never> };
        times(live.g[String(g.vmid)]);
        // Every minute of the last hour, each exactly once (chunks then live, in time order).
        const hour = ts.filter((t) => t >= now - 3600);
        expect(hour, `guest ${g.vmid}, cycle ${cycle}`).toEqual(Array.from({ length: 61 }, (_, k) => now - 3600 + k * 60));
        expect(new Set(ts).size).toBe(ts.length);
        expect(doc.files.raw.length).toBeLessThanOrEqual(8);
      }
    }
  });

  it('publishes each 5-minute point of the last 24 h once in immutable day chunks, across a restart', async () => {
    syn = await makeSynthetic(100);
    // Day refreshes every 10 minutes (instead of hourly) so that 40 cycles see several chunks per
    // part, long every 20 minutes so that they see each part's long file replaced.
    const periods = { rawSeconds: 120, htmlSeconds: 600, daySeconds: 600, longSeconds: 1200 };
    const running = syn.clusters[0]!.guests.filter((g) => g.running).slice(0, 8);
    // One 5-minute point missing at first and stored during the restart (a backfill after an
    // outage): older than the chunks already published, it must still reach the day chunks.
    const gap = { vmid: running[0]!.vmid, ts: Math.floor((syn.now - 6 * 3600) / 300) * 300 };
    const gapRow = syn.store.sqlite.prepare('SELECT * FROM guest_samples_5m WHERE cluster_id = 1 AND vmid = ? AND ts = ?').get(gap.vmid, gap.ts) as Record<string, number>;
    syn.store.sqlite.prepare('DELETE FROM guest_samples_5m WHERE cluster_id = 1 AND vmid = ? AND ts = ?').run(gap.vmid, gap.ts);
    let site = setup({ periods });
    await site.builder.build();
    const outDir = site.outDir;
    let clock = site.clock;
    const seen = new Map<string, string>();
    const stored = syn.store.sqlite.prepare('SELECT ts FROM guest_samples_5m WHERE cluster_id = 1 AND vmid = ? AND ts >= ? ORDER BY ts');
    let chunksSeen = 0;
    const longListed = new Map<number, string>();
    let longReplaced = 0;
    for (let cycle = 1; cycle <= 40; cycle++) {
      clock.ms += 60_000;
      if (cycle === 20) {
        // A restart half-way: the state read back continues the chunks and the raw hour.
        await site.builder.stop();
        site = setup({ periods });
        site.clock.ms = clock.ms;
        clock = site.clock;
        const cols = Object.keys(gapRow);
        syn.store.sqlite.prepare(`INSERT INTO guest_samples_5m (${cols.join(',')}) VALUES (${cols.map(() => '?').join(',')})`).run(...cols.map((c) => gapRow[c]));
      }
      site.builder.record(syn.cycle(clock.ms / 1000));
      await site.builder.build();
      const now = clock.ms / 1000;
      for (const g of running) {
        const dir = `g/bench1/${Math.floor(g.vmid / 100)}xx`;
        const doc = partDoc<{ v: number; files: { day: string[]; raw: string[] } }>(join(outDir, 'current', dir), g.vmid);
        expect(doc.v).toBe(1);
        const ts: number[] = [];
        for (const name of doc.files.day) {
          const body = readFileSync(join(outDir, 'current', dir, name), 'utf8');
          expect(seen.get(`${dir}/${name}`) ?? body, name).toBe(body);
          seen.set(`${dir}/${name}`, body);
          const s = (JSON.parse(body) as { g: Record<string, { t0: number; step: number; n: number; i?: number[] }> }).g[String(g.vmid)];
          for (let k = 0; s && k < s.n; k++) ts.push(s.t0 + (s.i ? s.i[k]! : k) * s.step);
        }
        chunksSeen = Math.max(chunksSeen, doc.files.day.length);
        // Every stored 5-minute point of the last 24 h up to the part's newest chunk, each once.
        const from = Math.floor((now - 86_400) / 300) * 300;
        const want = (stored.all(g.vmid, from) as Array<{ ts: number }>).map((r) => r.ts).filter((t) => t <= Math.max(...ts));
        // Each part has its first day turn after the restart within 10 cycles (daySeconds 600).
        if (g.vmid !== gap.vmid || cycle < 20 || cycle >= 31) expect(ts.filter((t) => t >= from), `guest ${g.vmid}, cycle ${cycle}`).toEqual(want);
        expect(new Set(ts).size).toBe(ts.length);
        // The last hour of raw samples stays complete across the restart too.
        const raw: number[] = [];
        for (const name of doc.files.raw) {
          const c = (JSON.parse(readFileSync(join(outDir, 'current', dir, name), 'utf8')) as { g: Record<string, { t0: number; step: number; n: number; i?: number[] }> }).g[String(g.vmid)];
          for (let k = 0; c && k < c.n; k++) raw.push(c.t0 + (c.i ? c.i[k]! : k) * c.step);
        }
        const live = (JSON.parse(readFileSync(join(outDir, 'current', 'data/live/bench1', `${Math.floor(g.vmid / 100)}xx.json`), 'utf8')) as { g: Record<string, { t0: number; step: number; n: number; i?: number[] }> }).g[String(g.vmid)];
        for (let k = 0; live && k < live.n; k++) raw.push(live.t0 + (live.i ? live.i[k]! : k) * live.step);
        expect(raw.filter((t) => t >= now - 3600), `raw hour of ${g.vmid}, cycle ${cycle}`).toEqual(Array.from({ length: 61 }, (_, k) => now - 3600 + k * 60));
        // The long series are in the part's long file (one per part, named by when it was made):
        // every hourly row of the last 7 days, and the file listed before stays one more period.
        const longs = doc.files as unknown as { long: string | null };
        expect(longs.long, `long file of ${g.vmid}`).toMatch(/^l\d+\.\d+\.json$/);
        const lw = (JSON.parse(readFileSync(join(outDir, 'current', dir, longs.long!), 'utf8')) as { v: number; g: Record<string, { w: { t0: number; step: number; n: number; i?: number[] } }> }).g[String(g.vmid)]!.w;
        const hourly = syn.store.sqlite.prepare('SELECT count(*) AS n FROM guest_samples_1h WHERE cluster_id = 1 AND vmid = ? AND ts >= ?').get(g.vmid, Math.floor((Number(longs.long!.split('.')[1]) - 7 * 86_400) / 3600) * 3600) as { n: number };
        expect(lw.n, `hourly points of ${g.vmid}`).toBe(hourly.n);
        const listedBefore = longListed.get(g.vmid);
        if (listedBefore) expect(existsSync(join(outDir, 'current', dir, listedBefore)), `${listedBefore} kept one more period`).toBe(true);
        if (listedBefore && listedBefore !== longs.long) longReplaced++;
        longListed.set(g.vmid, longs.long!);
      }
    }
    expect(longReplaced).toBeGreaterThan(0);
    expect(chunksSeen).toBeGreaterThan(2);
    expect(gapRow.ts).toBe(gap.ts);
    expect(site.lines.filter((l) => l.level === 'warn')).toEqual([]);
    await site.builder.stop();
  }, 240_000);

  it('reports the bytes it wrote: for a first build, the size of the files on disk, its state included', async () => {
    syn = await makeSynthetic(150);
    const { builder, outDir } = setup();
    const first = await builder.build();
    let onDisk = 0;
    const walk = (d: string) => {
      for (const e of readdirSync(d, { withFileTypes: true })) {
        const f = join(d, e.name);
        if (e.isDirectory()) walk(f);
        else if (e.isFile()) onDisk += statSync(f).size;
      }
    };
    walk(join(outDir, 'releases'));
    walk(join(outDir, 'trees'));
    walk(join(outDir, 'state'));
    expect(first.bytes).toBe(onDisk);
  });

  it('keeps node samples between builds to the same node files as a fresh read', async () => {
    syn = await makeSynthetic(100);
    const { builder, clock, outDir } = setup();
    await builder.build();
    for (let k = 0; k < 4; k++) {
      clock.ms += 60_000;
      builder.record(syn.cycle(clock.ms / 1000));
      await builder.build();
    }
    const fresh = await createSiteBuilder({
      db: syn.store.db, log: createLogger({ level: 'silent' }), now: () => clock.ms, outDir: join(syn.dir, 'other'),
      config: { pollIntervalSeconds: 60, site: { title: 'PMI Dashboard', staleAfterIntervals: 3 } },
    }).build({ toMemory: true });
    const file = 'data/nodes/bench1/node1.json';
    expect(readFileSync(join(outDir, 'current', file), 'utf8')).toBe(String(fresh.files!.get(file)));
    expect((JSON.parse(String(fresh.files!.get(file))) as { raw: { n: number } }).raw.n).toBeGreaterThan(60);
  });

  it('refuses to start a build while one runs', async () => {
    syn = await makeSynthetic(20);
    const { builder } = setup();
    const a = builder.build();
    await expect(builder.build()).rejects.toThrow(/already running/);
    await a;
  });
});
