// The whole agent in one process for the agent benchmark (agent.bench.ts): poll, store, site and
// inbox as `pmi-agent run` wires them, bundled like production and started by plain `node` with
// the systemd unit's node flags. Arguments: config path, cycles, interval seconds. Reports its
// peak and final RSS over IPC once runAgent has returned, with process.memoryUsage() at the
// sampled peak (what holds the memory: V8 heap, buffers outside it, or the rest: SQLite's page
// cache and malloc).
import { appendFileSync, readFileSync } from 'node:fs';
import { getHeapSpaceStatistics, writeHeapSnapshot } from 'node:v8';
import { runAgent } from '../../agent/main.ts';

const MB = 2 ** 20;
const breakdown = (m: NodeJS.MemoryUsage) => ({
  rssMb: m.rss / MB, heapTotalMb: m.heapTotal / MB, heapUsedMb: m.heapUsed / MB, externalMb: m.external / MB, arrayBuffersMb: m.arrayBuffers / MB,
  otherMb: (m.rss - m.heapTotal - m.external) / MB,
});
/**
 * Resident memory by kind of mapping (/proc/self/smaps): files (the node binary, shared
 * libraries, better-sqlite3's addon), the brk heap (glibc's main malloc arena: SQLite's page cache,
 * node's own allocations), glibc's per-thread malloc arenas (libuv's pool, V8's platform thread),
 * and other anonymous mappings (V8's heap pages, large malloc blocks, typed arrays' memory).
 */
function mappings() {
  const kb = { fileMb: 0, brkHeapMb: 0, otherAnonMb: 0, threadArenasMb: 0 };
  let kind: keyof typeof kb = 'otherAnonMb';
  const lines = readFileSync('/proc/self/smaps', 'utf8').split('\n');
  // glibc's per-thread arenas: a 64 MiB-aligned reservation of 64 MiB, read-write at its start
  const arenaStarts = new Set<string>();
  let prev: { start: bigint; perm: string } | undefined;
  for (const line of lines) {
    const h = /^([0-9a-f]+)-([0-9a-f]+) (\S+) \S+ \S+ 0\s*$/.exec(line);
    if (!h) continue;
    const start = BigInt(`0x${h[1]}`);
    const end = BigInt(`0x${h[2]}`);
    if (prev && prev.perm === 'rw-p' && h[3] === '---p' && prev.start % ARENA === 0n && end - prev.start === ARENA) arenaStarts.add(prev.start.toString(16));
    prev = { start, perm: h[3]! };
  }
  for (const line of lines) {
    const head = /^([0-9a-f]+)-[0-9a-f]+ \S+ \S+ \S+ (\d+)\s*(.*)$/.exec(line);
    if (head) kind = head[3] === '[heap]' ? 'brkHeapMb' : head[2] !== '0' && head[3]!.startsWith('/') ? 'fileMb' : arenaStarts.has(head[1]!.replace(/^0+/, '')) ? 'threadArenasMb' : 'otherAnonMb';
    else if (line.startsWith('Rss:')) kb[kind] += Number(/(\d+)/.exec(line)![1]) / 1024;
  }
  return kb;
}
const ARENA = 64n * 2n ** 20n;
/** V8's committed memory per heap space (new, old, code, large objects …) in MB. */
const spaces = () => Object.fromEntries(getHeapSpaceStatistics().map((s) => [s.space_name.replace(/_space$/, ''), Math.round(s.space_size / 2 ** 17) / 8]));
let peak = process.memoryUsage();
let peakMappings = mappings();
let peakSpaces = spaces();
// AGENT_MEMORY_TIMELINE=<file>: every sample (and each cycle's end) as a JSON line, to see when the
// peak happens and what holds memory then (profiling aid; not the benchmark's figure).
const timeline = process.env.AGENT_MEMORY_TIMELINE;
const note = (o: object) => timeline && appendFileSync(timeline, `${JSON.stringify({ t: Date.now(), ...o })}\n`);
const sampler = setInterval(() => {
  const m = process.memoryUsage();
  if (timeline) note({ ...breakdown(m), ...mappings(), heapSpacesMb: spaces() });
  if (m.rss > peak.rss) {
    peak = m;
    peakMappings = mappings();
    peakSpaces = spaces();
  }
}, 200);
sampler.unref();
const [configPath, cycles, interval] = process.argv.slice(2);
// AGENT_HEAP_SNAPSHOT=<file>, AGENT_HEAP_SNAPSHOT_AT=<seconds>: what the heap holds while the agent
// runs (profiling aid; the snapshot stops the process for a few seconds).
if (process.env.AGENT_HEAP_SNAPSHOT) setTimeout(() => writeHeapSnapshot(process.env.AGENT_HEAP_SNAPSHOT!), Number(process.env.AGENT_HEAP_SNAPSHOT_AT ?? 240) * 1000).unref();
// Each cycle's wall time (the agent's own summary) and the process's CPU time from one cycle's end to
// the next (the cycle plus whatever V8's collector did in between): what a memory setting costs.
const cycleMs: number[] = [];
const cpuMs: number[] = [];
let cpuMark = process.cpuUsage();
const code = await runAgent(configPath!, {
  maxCycles: Number(cycles), intervalSeconds: Number(interval),
  onCycle: (s, n) => {
    const cpu = process.cpuUsage(cpuMark);
    cpuMark = process.cpuUsage();
    cycleMs.push(s.ms);
    cpuMs.push((cpu.user + cpu.system) / 1000);
    note({ cycle: n, rssMb: process.memoryUsage().rss / MB, ms: s.ms, stages: s.stages });
  },
});
clearInterval(sampler);
const mem = process.memoryUsage();
process.send!({ code, execArgv: process.execArgv, env: { ...process.env }, cycleMs, cpuMs, peakRssMb: process.resourceUsage().maxRSS / 1024, rssMb: mem.rss / MB, heapUsedMb: mem.heapUsed / MB, atPeak: { ...breakdown(peak), ...peakMappings, heapSpacesMb: peakSpaces }, atEnd: { ...breakdown(mem), ...mappings(), heapSpacesMb: spaces() } }, () => process.disconnect());
