// Poll benchmark (issue 3 §9): the real poller + store against the simulator with injected
// latency, at 1,000 and 10,000 guests. The simulator runs in a CHILD process so its CPU and memory
// are not counted; cpuMsPerCycle and rssMb are this (poller) process only. Nothing is typed in.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createLogger } from '../../agent/log/logger.ts';
import { createPveClient } from '../../agent/pve/pve-client.ts';
import type { PveClient } from '../../agent/pve/pve-client.types.ts';
import { createPoller } from '../../agent/poll/poll-cycle.ts';
import { PollConfig } from '../../agent/config/config.schema.ts';
import { openDatabase } from '../../agent/store/open-database.ts';
import { writeSnapshot } from '../../agent/store/snapshot.repository.ts';

export interface PollBenchRun {
  clusters: number;
  nodes: number;
  guests: number;
  latencyMs: number;
  /** Median HTTP requests per cycle (retries included) over the measured cycles. */
  requestsPerCycle: number;
  requestsPerCycleMax: number;
  /** 4 per cluster + 1 per online node. */
  requestsLimit: number;
  /** Median wall time of poll + store per cycle. */
  cycleMsMedian: number;
  cycleMsMax: number;
  /** The first cycle (new TLS connections everywhere, all guests inserted), not in the median. */
  firstCycleMs: number;
  pollMsMedian: number;
  storeMsMedian: number;
  /** process.cpuUsage (user+system) of the poller process per measured cycle. */
  cpuMsPerCycle: number;
  /** CPU of the simulator child per measured cycle (for context: it shares the 2 cores). */
  simCpuMsPerCycle: number | null;
  /** Peak RSS of the poller process during the run. */
  rssMb: number;
  /** RSS of this process before the scenario (tsx, loaded modules): the floor of rssMb. */
  rssBaselineMb: number;
  /** Peak V8 heap used during the run. */
  heapUsedPeakMb: number;
  cycles: number;
  concurrency: number;
  pauseMs: number;
  failedClusters: number;
  targetsMet: { requests: boolean; cycleMs: boolean | null; rss: boolean };
}

interface Scenario {
  clusters: number;
  nodesPerCluster: number;
  guests: number;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const round = (n: number, d = 1): number => Math.round(n * 10 ** d) / 10 ** d;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** user+system CPU ms of another process (Linux /proc/<pid>/stat), or null. */
function childCpuMs(pid: number | undefined): number | null {
  if (!pid) return null;
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return ((Number(f[11]) + Number(f[12])) * 1000) / 100;
  } catch {
    return null;
  }
}

interface SimChild {
  child: ChildProcess;
  config: { clusters: Array<{ name: string; endpoints: string[]; tokenId: string; fingerprint: string }> };
  secret: string;
  stop(): Promise<void>;
}

/** Starts `scripts/pve-sim/cli.ts` in a child process and reads the config fragment it writes. */
async function startSimChild(s: Scenario, latencyMs: number, dir: string): Promise<SimChild> {
  const cfgFile = join(dir, 'sim-config.json');
  const cli = resolve(import.meta.dirname, '..', 'pve-sim', 'cli.ts');
  const child = spawn(process.execPath, ['--import', 'tsx', cli, '--clusters', String(s.clusters), '--nodes', String(s.nodesPerCluster), '--guests', String(s.guests), '--latency-ms', String(latencyMs), '--seed', '42', '--write-config', cfgFile], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += String(d)));
  await new Promise<void>((res, rej) => {
    const t = setTimeout(() => rej(new Error(`simulator did not start in 120 s: ${err}`)), 120_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += String(d);
      if (out.includes('config fragment written')) {
        clearTimeout(t);
        res();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(t);
      rej(new Error(`simulator exited with ${code}: ${err}`));
    });
  });
  const config = JSON.parse(readFileSync(cfgFile, 'utf8')) as SimChild['config'];
  const secret = readFileSync(`${cfgFile}.token-secret`, 'utf8').trim();
  return {
    child,
    config,
    secret,
    stop: () =>
      new Promise<void>((res) => {
        if (child.exitCode !== null) return res();
        child.once('exit', () => res());
        child.kill('SIGTERM');
      }),
  };
}

async function runScenario(s: Scenario, o: { latencyMs: number; cycles: number; pauseMs: number; concurrency: number; log: (l: string) => void }): Promise<PollBenchRun> {
  const dir = mkdtempSync(join(tmpdir(), 'pmi-poll-bench-'));
  const sim = await startSimChild(s, o.latencyMs, dir);
  const silent = createLogger({ level: 'silent' });
  const clients = new Map<string, PveClient>();
  for (const c of sim.config.clusters) {
    clients.set(c.name, createPveClient({
      cluster: { name: c.name, endpoints: c.endpoints, tokenId: c.tokenId, tokenSecretFile: 'unused', tls: { insecure: false, fingerprint: c.fingerprint }, timeoutMs: 10_000 },
      secret: sim.secret,
      log: silent,
      retries: 2,
      retryBaseMs: 250,
    }));
  }
  const store = await openDatabase(join(dir, 'pmi.sqlite'));
  const poller = createPoller({ clients, log: silent, now: () => Date.now(), concurrency: o.concurrency });
  const baselineRss = process.memoryUsage().rss;
  let peakRss = baselineRss;
  let peakHeap = 0;
  const sample = () => {
    const m = process.memoryUsage();
    peakRss = Math.max(peakRss, m.rss);
    peakHeap = Math.max(peakHeap, m.heapUsed);
  };
  const rssTimer = setInterval(sample, 20);
  const cycleMs: number[] = [];
  const pollMs: number[] = [];
  const storeMs: number[] = [];
  const requests: number[] = [];
  let onlineNodes = 0;
  let guests = 0;
  let failed = 0;
  let firstCycleMs = 0;
  let cpuMicros = 0;
  let simCpu: number | null = 0;
  try {
    for (let i = 0; i <= o.cycles; i++) {
      if (i > 0 && o.pauseMs) await sleep(o.pauseMs);
      const cpu0 = process.cpuUsage();
      const sim0 = childCpuMs(sim.child.pid);
      const t0 = performance.now();
      const results = await poller.pollAll();
      const t1 = performance.now();
      for (const r of results) if (r.snapshot) await writeSnapshot(store.db, r.snapshot);
      const t2 = performance.now();
      const cpu = process.cpuUsage(cpu0);
      sample();
      failed = Math.max(failed, results.filter((r) => !r.ok).length);
      onlineNodes = results.reduce((n, r) => n + (r.snapshot?.nodes.filter((x) => x.status === 'online').length ?? 0), 0);
      guests = results.reduce((n, r) => n + (r.snapshot?.guests.length ?? 0), 0);
      if (i === 0) {
        firstCycleMs = t2 - t0;
        o.log(`${s.clusters}×${s.nodesPerCluster}, ${guests} guests: first cycle ${round(firstCycleMs)} ms`);
        continue;
      }
      cycleMs.push(t2 - t0);
      pollMs.push(t1 - t0);
      storeMs.push(t2 - t1);
      requests.push(results.reduce((n, r) => n + r.requests, 0));
      cpuMicros += cpu.user + cpu.system;
      const sim1 = childCpuMs(sim.child.pid);
      simCpu = simCpu === null || sim0 === null || sim1 === null ? null : simCpu + (sim1 - sim0);
      o.log(`  cycle ${i}: ${round(t2 - t0)} ms (poll ${round(t1 - t0)}, store ${round(t2 - t1)}), ${requests.at(-1)} requests, cpu ${round((cpu.user + cpu.system) / 1000)} ms, sim cpu ${sim0 !== null && sim1 !== null ? round(sim1 - sim0) : '?'} ms`);
    }
  } finally {
    clearInterval(rssTimer);
    await Promise.all([...clients.values()].map((c) => c.close()));
    await store.close();
    await sim.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  const limit = 4 * s.clusters + onlineNodes;
  const run: PollBenchRun = {
    clusters: s.clusters,
    nodes: s.clusters * s.nodesPerCluster,
    guests,
    latencyMs: o.latencyMs,
    requestsPerCycle: median(requests),
    requestsPerCycleMax: Math.max(...requests),
    requestsLimit: limit,
    cycleMsMedian: round(median(cycleMs)),
    cycleMsMax: round(Math.max(...cycleMs)),
    firstCycleMs: round(firstCycleMs),
    pollMsMedian: round(median(pollMs)),
    storeMsMedian: round(median(storeMs)),
    cpuMsPerCycle: round(cpuMicros / 1000 / cycleMs.length),
    simCpuMsPerCycle: simCpu === null ? null : round(simCpu / cycleMs.length),
    rssMb: round(peakRss / 2 ** 20),
    rssBaselineMb: round(baselineRss / 2 ** 20),
    heapUsedPeakMb: round(peakHeap / 2 ** 20),
    cycles: cycleMs.length,
    concurrency: o.concurrency,
    pauseMs: o.pauseMs,
    failedClusters: failed,
    targetsMet: { requests: Math.max(...requests) <= limit, cycleMs: s.guests >= 10_000 ? median(cycleMs) <= 2000 : null, rss: peakRss / 2 ** 20 <= 150 },
  };
  return run;
}

/**
 * Runs the poll benchmark: 5 clusters × 4 nodes with 1,000 guests and 50 clusters × 10 nodes with
 * 10,000 guests, 20 ms latency, 5 measured cycles after one warm-up. Between cycles it pauses
 * longer than the 4 s keep-alive, as in production (60 s interval), so every cycle pays its TLS
 * handshakes; --quick pauses 0.5 s and runs only 3 cycles.
 */
export async function run(opts: { quick?: boolean; log: (line: string) => void }): Promise<PollBenchRun[]> {
  const cycles = opts.quick ? 3 : 5;
  const pauseMs = opts.quick ? 500 : 4500;
  const only = process.env.PMI_POLL_BENCH_ONLY; // "1k" or "10k" while profiling
  const scenarios: Scenario[] = [
    { clusters: 5, nodesPerCluster: 4, guests: 1000 },
    { clusters: 50, nodesPerCluster: 10, guests: 10_000 },
  ].filter((s) => !only || (only === '1k') === (s.guests === 1000));
  const runs: PollBenchRun[] = [];
  // the agent's default (config poll.concurrency), so the figures are those of an unconfigured install
  const concurrency = PollConfig.parse({}).concurrency;
  for (const s of scenarios) runs.push(await runScenario(s, { latencyMs: 20, cycles, pauseMs, concurrency, log: opts.log }));
  return runs;
}

/** The human table of a result. */
export function table(result: unknown): string {
  const runs = result as PollBenchRun[];
  const yes = (b: boolean | null) => (b === null ? '–' : b ? 'yes' : 'NO');
  return [
    '| clusters | nodes | guests | latency ms | requests/cycle (max / limit) | cycle ms median (max) | poll / store ms | first cycle ms | CPU ms/cycle (sim) | peak RSS MB (baseline, heap) | targets met (req / cycle / rss) |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|',
    ...runs.map((r) => `| ${r.clusters} | ${r.nodes} | ${r.guests} | ${r.latencyMs} | ${r.requestsPerCycle} (${r.requestsPerCycleMax} / ${r.requestsLimit}) | ${r.cycleMsMedian} (${r.cycleMsMax}) | ${r.pollMsMedian} / ${r.storeMsMedian} | ${r.firstCycleMs} | ${r.cpuMsPerCycle} (${r.simCpuMsPerCycle ?? '?'}) | ${r.rssMb} (${r.rssBaselineMb}, ${r.heapUsedPeakMb}) | ${yes(r.targetsMet.requests)} / ${yes(r.targetsMet.cycleMs)} / ${yes(r.targetsMet.rss)} |`),
  ].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const quick = process.argv.includes('--quick');
  const r = await run({ quick, log: (l) => process.stderr.write(`${l}\n`) });
  process.stdout.write(`${table(r)}\n${JSON.stringify(r)}\n`);
}
