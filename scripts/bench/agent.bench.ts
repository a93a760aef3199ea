// Agent benchmark: the whole agent (poll, store, site, inbox in one process, the unit's node
// flags and environment, compiled with tsc like production) against the simulator in its own process, at 10,000 guests
// (50 clusters × 10 nodes, 20 ms latency) for 30 cycles; reports the agent's peak RSS. Figures
// are measured here, never typed in.
import { fork } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ROOT, buildApp } from '../build.ts';
import { productionNodeEnv, productionNodeFlags, startSimChild } from './poll.bench.ts';

export interface AgentBenchRun {
  guests: number;
  cycles: number;
  intervalSeconds: number;
  /** Peak RSS of the agent process over the run (getrusage maxrss). */
  rssMb: number;
  /** RSS once the last cycle is done. */
  rssEndMb: number;
  heapUsedEndMb: number;
  /** process.memoryUsage() at the sampled peak and at the end (otherMb: rss − V8 heap − external: SQLite, malloc, code). */
  memory: { atPeak: MemoryBreakdown; atEnd: MemoryBreakdown };
  /** Median wall time of a cycle after the first (the agent's cycle summary), and of the first (the full site build). */
  cycleMsMedian: number;
  firstCycleMs: number;
  /** Median CPU time of the process per cycle after the first (cycle end to cycle end: the cycle and the collector's work in between). */
  cpuMsPerCycle: number;
  seconds: number;
  loadAverage: [number, number];
}

/** otherMb = rss − heapTotal − external; fileMb/brkHeapMb/threadArenasMb/otherAnonMb: resident memory by kind of mapping (agent-child.ts). */
interface MemoryBreakdown { rssMb: number; heapTotalMb: number; heapUsedMb: number; externalMb: number; arrayBuffersMb: number; otherMb: number; fileMb: number; brkHeapMb: number; threadArenasMb: number; otherAnonMb: number; heapSpacesMb?: Record<string, number> }

const round = (x: number) => Math.round(x * 10) / 10;
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const roundAll = (m: MemoryBreakdown) => Object.fromEntries(Object.entries(m).map(([k, v]) => [k, typeof v === 'number' ? round(v) : v])) as unknown as MemoryBreakdown;

/**
 * What the agent child is started with: the unit's node flags (ExecStart) and its Environment=
 * (AGENT_BENCH_UNIT: another unit's, for an A/B). The child reports the flags it ran with and the
 * run fails if they differ.
 */
export function agentChildSettings(unitText?: string): { flags: string[]; env: Record<string, string> } {
  return { flags: productionNodeFlags(unitText), env: productionNodeEnv(unitText) };
}

/** Runs the agent for `cycles` cycles at 10,000 guests (quick: 1,000 guests, 10 cycles). */
export async function run(opts: { quick?: boolean; log: (line: string) => void }): Promise<AgentBenchRun> {
  // AGENT_BENCH_GUESTS=<n>: another fleet size (200 guests per cluster of 10 nodes) for profiling, and
  // AGENT_BENCH_UNIT=<file>: another unit's node flags and environment (an A/B of unit settings);
  // neither is the benchmark's figure.
  const size = Number(process.env.AGENT_BENCH_GUESTS) || 0;
  const s = size ? { clusters: Math.max(1, Math.round(size / 200)), nodesPerCluster: 10, guests: size } : opts.quick ? { clusters: 5, nodesPerCluster: 4, guests: 1000 } : { clusters: 50, nodesPerCluster: 10, guests: 10_000 };
  const unitText = process.env.AGENT_BENCH_UNIT ? readFileSync(process.env.AGENT_BENCH_UNIT, 'utf8') : undefined;
  // AGENT_BENCH_CYCLES=<n>: a shorter run for profiling (with AGENT_HEAP_SNAPSHOT, see agent-child.ts); not the benchmark's figure.
  const cycles = Number(process.env.AGENT_BENCH_CYCLES) || (opts.quick ? 10 : 30);
  const interval = 10;
  const dir = mkdtempSync(join(tmpdir(), 'pmi-agent-bench-'));
  // compiled with the application like the production build, inside the checkout so that
  // node_modules resolve as in the installed application
  const outDir = join(ROOT, 'var', 'bench-agent-app');
  await buildApp({ outDir, extraEntries: [resolve(import.meta.dirname, 'agent-child.ts')] });
  const file = join(outDir, 'scripts/bench/agent-child.js');
  const sim = await startSimChild(s, 20, dir);
  try {
    writeFileSync(join(dir, 'token'), `${sim.secret}\n`, { mode: 0o600 });
    const config = {
      clusters: sim.config.clusters.map((c) => ({ name: c.name, endpoints: c.endpoints, tokenId: c.tokenId, tokenSecretFile: 'token', tls: { fingerprint: c.fingerprint } })),
      pollIntervalSeconds: interval,
      paths: { database: 'pmi.sqlite', site: 'site', inbox: 'inbox' },
      // Backfill reads each guest's RRD history once: a first-start cost, not the steady state measured here.
      poll: { backfill: false },
    };
    const configPath = join(dir, 'config.json');
    writeFileSync(configPath, JSON.stringify(config));
    const loadStart = round(loadavg()[0]!);
    const t0 = performance.now();
    // the unit's node flags and its Environment= (malloc tunables), read from the unit file
    const { env, flags } = agentChildSettings(unitText);
    opts.log(`${s.guests} guests: agent child ${Object.entries(env).map(([k, v]) => `${k}=${v}`).join(' ')} node ${flags.join(' ')}, ${cycles} cycles every ${interval} s`);
    // AGENT_BENCH_LOG=<file>: the agent's log lines (stdout) go there (profiling aid)
    const logFd = process.env.AGENT_BENCH_LOG ? openSync(process.env.AGENT_BENCH_LOG, 'w') : 'ignore';
    const child = fork(file, [configPath, String(cycles), String(interval)], { execArgv: flags, env: { ...process.env, ...env }, cwd: dir, stdio: ['ignore', logFd, 'inherit', 'ipc'] });
    if (typeof logFd === 'number') closeSync(logFd);
    const report = await new Promise<{ code: number; execArgv: string[]; env: Record<string, string | undefined>; cycleMs: number[]; cpuMs: number[]; peakRssMb: number; rssMb: number; heapUsedMb: number; atPeak: MemoryBreakdown; atEnd: MemoryBreakdown }>((res, rej) => {
      let got: { code: number; execArgv: string[]; env: Record<string, string | undefined>; cycleMs: number[]; cpuMs: number[]; peakRssMb: number; rssMb: number; heapUsedMb: number; atPeak: MemoryBreakdown; atEnd: MemoryBreakdown } | undefined;
      const limit = setTimeout(() => {
        child.kill('SIGKILL');
        rej(new Error(`agent child did not finish ${cycles} cycles in 40 min`));
      }, 40 * 60_000);
      child.on('message', (m: typeof got) => (got = m));
      child.once('exit', (code) => {
        clearTimeout(limit);
        if (got) res(got);
        else rej(new Error(`agent child exited with ${code} and no report`));
      });
    });
    if (report.code !== 0) throw new Error(`agent exited with ${report.code}`);
    if (JSON.stringify(report.execArgv) !== JSON.stringify(flags) || Object.entries(env).some(([k, v]) => report.env[k] !== v)) {
      throw new Error(`agent child ran with ${JSON.stringify(report.execArgv)} ${JSON.stringify(report.env)}, not the unit's ${JSON.stringify(flags)} ${JSON.stringify(env)}`);
    }
    const r: AgentBenchRun = {
      guests: s.guests, cycles, intervalSeconds: interval,
      rssMb: round(report.peakRssMb), rssEndMb: round(report.rssMb), heapUsedEndMb: round(report.heapUsedMb),
      memory: { atPeak: roundAll(report.atPeak), atEnd: roundAll(report.atEnd) },
      cycleMsMedian: round(median(report.cycleMs.slice(1))), firstCycleMs: round(report.cycleMs[0] ?? NaN), cpuMsPerCycle: round(median(report.cpuMs.slice(1))),
      seconds: Math.round((performance.now() - t0) / 1000), loadAverage: [loadStart, round(loadavg()[0]!)],
    };
    opts.log(`${s.guests} guests: peak RSS ${r.rssMb} MB after ${cycles} cycles (${r.seconds} s), cycle ${r.cycleMsMedian} ms median (first ${r.firstCycleMs} ms), CPU ${r.cpuMsPerCycle} ms per cycle; at the sampled peak ${JSON.stringify(r.memory.atPeak)}, at the end ${JSON.stringify(r.memory.atEnd)}`);
    return r;
  } finally {
    await sim.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Human table of the run. */
export function table(result: unknown): string {
  const r = result as AgentBenchRun;
  return [
    '| guests | cycles | peak RSS MB | RSS at end MB | heap used at end MB | cycle ms median (first) | CPU ms/cycle | seconds | load avg (start / end) |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    `| ${r.guests} | ${r.cycles} | ${r.rssMb} | ${r.rssEndMb} | ${r.heapUsedEndMb} | ${r.cycleMsMedian} (${r.firstCycleMs}) | ${r.cpuMsPerCycle} | ${r.seconds} | ${r.loadAverage[0]} / ${r.loadAverage[1]} |`,
  ].join('\n');
}
