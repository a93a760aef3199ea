// Poll benchmark (issue 3 §9): the real poller + store against the simulator with injected
// latency, at 1,000 and 10,000 guests. Three processes: this one only orchestrates; the simulator
// runs in a child (its CPU and memory are not counted); the poller + store run in another child
// the way production runs the agent — compiled by scripts/build.ts (the same tsc emit as the
// installed application), plain node with the node flags and Environment= of systemd/pmi-agent.service, all agent
// modules loaded (scripts/bench/poll-child.ts). cpuMsPerCycle and rssMb are that process only.
// Nothing is typed in.
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ROOT, buildApp } from '../build.ts';
import type { ChildCycle, ChildReply, ChildSetup } from './poll-child.ts';

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
  /**
   * Requests of one simulated hour at a 60 s interval (issue #15): 60 cycles of fast loop + health
   * tiers with their default periods, counted as made (the first start's vzdump-log backlog included).
   */
  requestsPerHour: number;
  /** 60 × (4 per cluster + 1 per node) + 12 per node + 12 per cluster. */
  requestsPerHourLimit: number;
  healthRequestsPerHour: number;
  healthRequestsPerCycleMax: number;
  /** issue 14 item 5 (pages): snapshot-list requests in the hour (one per guest per day, spread). */
  snapshotRequestsPerHour: number;
  /** Median wall time of poll + store per cycle. */
  cycleMsMedian: number;
  cycleMsMax: number;
  /** The first cycle (new TLS connections everywhere, all guests inserted), not in the median. */
  firstCycleMs: number;
  pollMsMedian: number;
  storeMsMedian: number;
  /** process.cpuUsage (user+system) of the poller child per measured cycle. */
  cpuMsPerCycle: number;
  /** CPU of the simulator child per measured cycle (for context: it shares the 2 cores). */
  simCpuMsPerCycle: number | null;
  /** Peak RSS of the poller child during the run (VmHWM). */
  rssMb: number;
  /** RSS of the poller child once set up (bundle loaded, clients and database open): the floor of rssMb. */
  rssBaselineMb: number;
  /** Peak V8 heap used during the run. */
  heapUsedPeakMb: number;
  cycles: number;
  concurrency: number;
  pauseMs: number;
  failedClusters: number;
  targetsMet: { requests: boolean; requestsPerHour: boolean; cycleMs: boolean | null; rss: boolean };
}

export interface Scenario {
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

export interface SimChild {
  child: ChildProcess;
  config: { clusters: Array<{ name: string; endpoints: string[]; tokenId: string; fingerprint: string }> };
  secret: string;
  stop(): Promise<void>;
}

/** Starts `scripts/pve-sim/cli.ts` in a child process and reads the config fragment it writes. */
export async function startSimChild(s: Scenario, latencyMs: number, dir: string): Promise<SimChild> {
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

/**
 * The node options production starts the agent with: the flags between the node binary and the
 * script in systemd/pmi-agent.service's ExecStart (the bench must not run with different V8 flags).
 */
export function productionNodeFlags(unitText = readFileSync(resolve(import.meta.dirname, '..', '..', 'systemd', 'pmi-agent.service'), 'utf8')): string[] {
  const line = unitText.split('\n').find((l) => l.startsWith('ExecStart='));
  if (!line) throw new Error('systemd/pmi-agent.service has no ExecStart');
  const words = line.slice('ExecStart='.length).trim().split(/\s+/);
  const flags: string[] = [];
  for (const w of words.slice(1)) {
    if (!w.startsWith('--')) break;
    flags.push(w);
  }
  return flags;
}

/**
 * The environment production starts the agent with: every `Environment=` assignment of
 * systemd/pmi-agent.service (e.g. NODE_ENV, glibc's malloc tunables), so a bench child runs under
 * exactly the unit's settings. Handles systemd's syntax: several assignments per line, each
 * optionally in double quotes; a later assignment of the same name wins.
 */
export function productionNodeEnv(unitText = readFileSync(resolve(import.meta.dirname, '..', '..', 'systemd', 'pmi-agent.service'), 'utf8')): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of unitText.split('\n')) {
    if (!line.startsWith('Environment=')) continue;
    for (const m of line.slice('Environment='.length).matchAll(/"([^"]*)"|(\S+)/g)) {
      const word = m[1] ?? m[2]!;
      const eq = word.indexOf('=');
      if (eq > 0) env[word.slice(0, eq)] = word.slice(eq + 1);
    }
  }
  return env;
}

/**
 * Compiles poll-child.ts with the application, like the production build, into var/bench-app/
 * (inside the checkout, so node_modules resolve as in the installed application). Once per run.
 */
let built: Promise<string> | undefined;
function buildChild(): Promise<string> {
  const outDir = join(ROOT, 'var', 'bench-app');
  built ??= buildApp({ outDir, extraEntries: [resolve(import.meta.dirname, 'poll-child.ts')] }).then(() => join(outDir, 'scripts/bench/poll-child.js'));
  return built;
}

interface PollerChild {
  child: ChildProcess;
  request(m: ChildSetup | { cmd: 'cycle' }): Promise<ChildReply>;
  stop(): Promise<void>;
}

function startPollerChild(file: string): PollerChild {
  const child = fork(file, [], { execPath: process.execPath, execArgv: productionNodeFlags(), env: { ...process.env, ...productionNodeEnv() }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  let waiting: { res: (m: ChildReply) => void; rej: (e: Error) => void } | undefined;
  child.on('message', (m: ChildReply) => {
    const w = waiting;
    waiting = undefined;
    if (m.kind === 'error') w?.rej(new Error(`poller child: ${m.message}`));
    else w?.res(m);
  });
  child.once('exit', (code) => waiting?.rej(new Error(`poller child exited with ${code}`)));
  return {
    child,
    request: (m) =>
      new Promise<ChildReply>((res, rej) => {
        waiting = { res, rej };
        child.send(m);
      }),
    stop: () =>
      new Promise<void>((res) => {
        if (child.exitCode !== null) return res();
        const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
        child.once('exit', () => {
          clearTimeout(t);
          res();
        });
        child.send({ cmd: 'stop' });
      }),
  };
}

async function runScenario(s: Scenario, o: { latencyMs: number; cycles: number; pauseMs: number; log: (l: string) => void }): Promise<PollBenchRun> {
  const dir = mkdtempSync(join(tmpdir(), 'pmi-poll-bench-'));
  const childFile = await buildChild();
  const sim = await startSimChild(s, o.latencyMs, dir);
  const poller = startPollerChild(childFile);
  const cycleMs: number[] = [];
  const pollMs: number[] = [];
  const storeMs: number[] = [];
  const requests: number[] = [];
  const hourRequests: number[] = [];
  const hourHealth: number[] = [];
  const hourSnapshots: number[] = []; // issue 14 item 5 (pages)
  let onlineNodes = 0;
  let guests = 0;
  let failed = 0;
  let firstCycleMs = 0;
  let cpuMicros = 0;
  let simCpu: number | null = 0;
  let baselineRss = 0;
  let concurrency = 0;
  let last: ChildCycle | undefined;
  try {
    const ready = await poller.request({ cmd: 'setup', clusters: sim.config.clusters, secret: sim.secret, dbFile: join(dir, 'pmi.sqlite') });
    if (ready.kind !== 'ready') throw new Error('poller child did not get ready');
    baselineRss = ready.rss;
    concurrency = ready.concurrency;
    o.log(`poller child: node ${ready.execArgv.join(' ') || '(no flags)'} ${childFile}`);
    for (let i = 0; i <= o.cycles; i++) {
      if (i > 0 && o.pauseMs) await sleep(o.pauseMs);
      const sim0 = childCpuMs(sim.child.pid);
      const t0 = performance.now();
      const r = await poller.request({ cmd: 'cycle' });
      const t2 = performance.now();
      if (r.kind !== 'cycle') throw new Error('unexpected answer from the poller child');
      last = r;
      hourRequests.push(r.requests + r.healthRequests + r.snapshotRequests); // snapshot lists: issue 14 item 5 (pages)
      hourSnapshots.push(r.snapshotRequests);
      hourHealth.push(r.healthRequests);
      failed = Math.max(failed, r.failed);
      onlineNodes = r.onlineNodes;
      guests = r.guests;
      if (i === 0) {
        firstCycleMs = r.pollMs + r.storeMs;
        o.log(`${s.clusters}×${s.nodesPerCluster}, ${guests} guests: first cycle ${round(firstCycleMs)} ms (round trip ${round(t2 - t0)} ms)`);
        continue;
      }
      cycleMs.push(r.pollMs + r.storeMs);
      pollMs.push(r.pollMs);
      storeMs.push(r.storeMs);
      requests.push(r.requests);
      cpuMicros += r.cpuMicros;
      const sim1 = childCpuMs(sim.child.pid);
      simCpu = simCpu === null || sim0 === null || sim1 === null ? null : simCpu + (sim1 - sim0);
      o.log(`  cycle ${i}: ${round(r.pollMs + r.storeMs)} ms (poll ${round(r.pollMs)}, store ${round(r.storeMs)}), ${r.requests} requests (+${r.healthRequests} health in ${round(r.healthMs)} ms), cpu ${round(r.cpuMicros / 1000)} ms, sim cpu ${sim0 !== null && sim1 !== null ? round(sim1 - sim0) : '?'} ms, peak rss ${round(r.peakRss / 2 ** 20)} MB`);
    }
    // the rest of one hour of cycles, back to back: only the request count matters here
    for (let i = o.cycles + 1; i < 60; i++) {
      const r = await poller.request({ cmd: 'cycle' });
      if (r.kind !== 'cycle') throw new Error('unexpected answer from the poller child');
      hourRequests.push(r.requests + r.healthRequests + r.snapshotRequests); // snapshot lists: issue 14 item 5 (pages)
      hourSnapshots.push(r.snapshotRequests);
      hourHealth.push(r.healthRequests);
    }
    o.log(`  one hour (60 cycles): ${hourRequests.reduce((a, b) => a + b, 0)} requests, of which health ${hourHealth.reduce((a, b) => a + b, 0)} (max ${Math.max(...hourHealth)} in a cycle), snapshot lists ${hourSnapshots.reduce((a, b) => a + b, 0)}`);
  } finally {
    await poller.stop();
    await sim.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  const peakRss = last?.peakRss ?? 0;
  const peakHeap = last?.peakHeap ?? 0;
  const limit = 4 * s.clusters + onlineNodes;
  const hourLimit = 60 * (4 * s.clusters + onlineNodes) + 12 * onlineNodes + 12 * s.clusters;
  const perHour = hourRequests.reduce((a, b) => a + b, 0);
  const run: PollBenchRun = {
    clusters: s.clusters,
    nodes: s.clusters * s.nodesPerCluster,
    guests,
    latencyMs: o.latencyMs,
    requestsPerCycle: median(requests),
    requestsPerCycleMax: Math.max(...requests),
    requestsLimit: limit,
    requestsPerHour: perHour,
    requestsPerHourLimit: hourLimit,
    healthRequestsPerHour: hourHealth.reduce((a, b) => a + b, 0),
    healthRequestsPerCycleMax: Math.max(...hourHealth),
    snapshotRequestsPerHour: hourSnapshots.reduce((a, b) => a + b, 0),
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
    concurrency,
    pauseMs: o.pauseMs,
    failedClusters: failed,
    targetsMet: { requests: Math.max(...requests) <= limit, requestsPerHour: perHour <= hourLimit, cycleMs: s.guests >= 10_000 ? median(cycleMs) <= 2000 : null, rss: peakRss / 2 ** 20 <= 150 },
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
  for (const s of scenarios) runs.push(await runScenario(s, { latencyMs: 20, cycles, pauseMs, log: opts.log }));
  return runs;
}

/** The human table of a result. */
export function table(result: unknown): string {
  const runs = result as PollBenchRun[];
  const yes = (b: boolean | null) => (b === null ? '–' : b ? 'yes' : 'NO');
  return [
    '| clusters | nodes | guests | latency ms | requests/hour (limit; health, max/cycle) | requests/cycle (max / limit) | cycle ms median (max) | poll / store ms | first cycle ms | CPU ms/cycle (sim) | peak RSS MB (baseline, heap) | targets met (req / cycle / rss) |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|',
    ...runs.map((r) => `| ${r.clusters} | ${r.nodes} | ${r.guests} | ${r.latencyMs} | ${r.requestsPerHour} (${r.requestsPerHourLimit}; ${r.healthRequestsPerHour}, ${r.healthRequestsPerCycleMax}) | ${r.requestsPerCycle} (${r.requestsPerCycleMax} / ${r.requestsLimit}) | ${r.cycleMsMedian} (${r.cycleMsMax}) | ${r.pollMsMedian} / ${r.storeMsMedian} | ${r.firstCycleMs} | ${r.cpuMsPerCycle} (${r.simCpuMsPerCycle ?? '?'}) | ${r.rssMb} (${r.rssBaselineMb}, ${r.heapUsedPeakMb}) | ${yes(r.targetsMet.requests)} / ${yes(r.targetsMet.cycleMs)} / ${yes(r.targetsMet.rss)} |`),
  ].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const quick = process.argv.includes('--quick');
  const r = await run({ quick, log: (l) => process.stderr.write(`${l}\n`) });
  process.stdout.write(`${table(r)}\n${JSON.stringify(r)}\n`);
}
