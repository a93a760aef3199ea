// Measures the longest event-loop stall of the site builder at the scale benchmark's size without
// agents (issue 17, the `*site` holder stalling for tens of seconds): a throw-away PostgreSQL with
// 250 clusters × 200 guests (50,000) written for a few cycles, then one full build from an empty
// site directory and a few ordinary cycles, with perf_hooks.monitorEventLoopDelay() and the
// longest gap between setImmediate turns recorded per build.
// Run: npx tsx [--cpu-prof] scripts/bench/site-stall-profile.ts [clusters=250] [guestsPerCluster=200] [cycles=3]
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Writable } from 'node:stream';
import { startThrowawayPgStore } from './pg-throwaway-store.ts';
import { writeSnapshot, writePollRun } from '../../agent/store/snapshot.repository.ts';
import { createLogger } from '../../agent/log/logger.ts';
import { createSiteBuilder } from '../../agent/site/site-builder.ts';
import type { ClusterSnapshot } from '../../agent/poll/cluster-snapshot.ts';
import { syntheticSnapshot } from './store-synthetic.ts';

const [clusters = 250, perCluster = 200, cycles = 3] = process.argv.slice(2).map(Number);
const { server, store } = await startThrowawayPgStore('stall');
const out = mkdtempSync('/tmp/pmi-stall-site-');
try {
  const names = Array.from({ length: clusters }, (_, i) => `c${String(i + 1).padStart(3, '0')}`);
  const interval = 30;
  let ts = Math.floor(Date.now() / 1000) - cycles * interval;
  const writeCycle = async (): Promise<ClusterSnapshot[]> => {
    const snaps: ClusterSnapshot[] = [];
    for (const [i, name] of names.entries()) {
      const snap = syntheticSnapshot({ cluster: name, ts, guests: perCluster, nodes: 4, firstVmid: 100 + i * perCluster });
      await writeSnapshot(store.db, snap);
      await writePollRun(store.db, { cluster: name, durationMs: 100, requests: 6, errors: 0, endpoint: 'x', ok: true }, ts);
      snaps.push(snap);
    }
    ts += interval;
    return snaps;
  };
  for (let c = 0; c < cycles; c++) {
    const s = performance.now();
    await writeCycle();
    console.log(`fill cycle ${c}: ${clusters * perCluster} guests in ${Math.round(performance.now() - s)} ms`);
  }
  const log = createLogger({ level: 'info', destination: new Writable({ write: (c, _e, cb) => (process.stdout.write(String(c).slice(0, 400) + '\n'), cb()) }) });
  const site = createSiteBuilder({
    db: store.db, log, now: () => ts * 1000, outDir: out,
    config: { pollIntervalSeconds: interval, site: { title: 'stall', staleAfterIntervals: 3 } },
  });
  const h = monitorEventLoopDelay({ resolution: 10 });
  const measure = async (label: string, fn: () => Promise<unknown>) => {
    let last = performance.now();
    let worst = 0;
    let turns = 0;
    let on = true;
    const spin = () => {
      const t = performance.now();
      // stalls over 500 ms, in the CPU profile's clock (µs, monotonic), to find them in --cpu-prof output
      if (t - last > 500 && process.env.STALLS) console.log(`stall ${Math.round(t - last)} ms until ${process.hrtime.bigint() / 1000n} µs`);
      worst = Math.max(worst, t - last);
      last = t;
      turns++;
      if (on) setImmediate(spin);
    };
    setImmediate(spin);
    h.reset();
    h.enable();
    const s = performance.now();
    await fn();
    on = false;
    h.disable();
    console.log(`${label}: ${Math.round(performance.now() - s)} ms, longest stall ${Math.round(worst)} ms (setImmediate gap), ${Math.round(h.max / 1e6)} ms (monitorEventLoopDelay max), ${turns} turns, load ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  };
  await measure('full build', () => site.build());
  for (let c = 0; c < Number(process.env.CYCLES ?? 3); c++) {
    const snaps = await writeCycle();
    site.record(snaps);
    await measure(`cycle ${c + 1}`, () => site.build());
  }
  await site.stop();
  await store.close();
} finally {
  rmSync(out, { recursive: true, force: true });
  await server.stop();
}
