// The poller side of the poll benchmark, run in its own process the way production runs the agent:
// compiled by scripts/build.ts's buildApp() (the same tsc emit as the installed application),
// started by plain `node` with the systemd unit's node flags, no tsx. It also loads agent/main.ts, so every
// module the agent loads is in memory, as in the service. The parent (poll.bench.ts) drives it over
// IPC: { cmd: 'setup', … } once, then { cmd: 'cycle' } per cycle; each answer carries this
// process's own CPU and memory figures.
import { readFileSync } from 'node:fs';
import * as agentMain from '../../agent/main.ts';
import { PollConfig } from '../../agent/config/config.schema.ts';
import { createLogger } from '../../agent/log/logger.ts';
import { createPveClient } from '../../agent/pve/pve-client.ts';
import type { PveClient } from '../../agent/pve/pve-client.types.ts';
import { createPoller, type Poller } from '../../agent/poll/poll-cycle.ts';
import { openDatabase, type Store } from '../../agent/store/open-database.ts';
import { writeSnapshot } from '../../agent/store/snapshot.repository.ts';
import { HealthConfig } from '../../agent/config/health-config.schema.ts';
import { createHealthStage, type HealthStage } from '../../agent/health/health-stage.ts';
import { createSnapshotStage, type SnapshotStage } from '../../agent/snapshots/snapshot-list-stage.ts';

export interface ChildSetup {
  cmd: 'setup';
  clusters: Array<{ name: string; endpoints: string[]; tokenId: string; fingerprint: string }>;
  secret: string;
  dbFile: string;
}

export interface ChildCycle {
  pollMs: number;
  storeMs: number;
  /** user+system CPU µs of this process during the cycle. */
  cpuMicros: number;
  requests: number;
  /** Requests of the health tiers (issue #15) this cycle. */
  healthRequests: number;
  healthMs: number;
  /** issue 14 item 5 (pages): requests of the snapshot-list stage (about one per guest per day) this cycle. */
  snapshotRequests: number;
  onlineNodes: number;
  guests: number;
  failed: number;
  /** Peak RSS of this process so far (kernel's VmHWM and 20 ms samples, the larger). */
  peakRss: number;
  peakHeap: number;
}

export type ChildReply = { kind: 'ready'; rss: number; concurrency: number; execArgv: string[] } | ({ kind: 'cycle' } & ChildCycle) | { kind: 'error'; message: string };

/** The kernel's peak RSS of this process in bytes (Linux), 0 elsewhere. */
function vmHwm(): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

let poller: Poller | undefined;
let health: HealthStage | undefined;
let snapshots: SnapshotStage | undefined; // issue 14 item 5 (pages)
let store: Store | undefined;
const clients = new Map<string, PveClient>();
let peakRss = 0;
let peakHeap = 0;
const sample = () => {
  const m = process.memoryUsage();
  peakRss = Math.max(peakRss, m.rss);
  peakHeap = Math.max(peakHeap, m.heapUsed);
};
const send = (m: ChildReply) => process.send!(m);

async function setup(m: ChildSetup): Promise<void> {
  const poll = PollConfig.parse({});
  const silent = createLogger({ level: 'silent' });
  for (const c of m.clusters) {
    clients.set(c.name, createPveClient({
      cluster: { name: c.name, endpoints: c.endpoints, tokenId: c.tokenId, tokenSecretFile: 'unused', tls: { insecure: false, fingerprint: c.fingerprint }, timeoutMs: 10_000 },
      secret: m.secret,
      log: silent,
      retries: poll.retries,
      retryBaseMs: poll.retryBaseMs,
    }));
  }
  store = await openDatabase(m.dbFile);
  // the agent's default (config poll.concurrency), so the figures are those of an unconfigured install
  poller = createPoller({ clients, log: silent, now: () => Date.now(), concurrency: poll.concurrency });
  // the health tiers with their default periods at the default 60 s interval (one cycle = one minute)
  health = createHealthStage({ clients, db: store.db, log: silent, now: () => Date.now(), intervalSeconds: 60, config: HealthConfig.parse({}) });
  snapshots = createSnapshotStage({ clients, db: store.db, log: silent, now: () => Date.now(), intervalSeconds: 60 }); // issue 14 item 5 (pages)
  setInterval(sample, 20).unref();
  send({ kind: 'ready', rss: process.memoryUsage().rss, concurrency: poll.concurrency, execArgv: process.execArgv });
}

async function cycle(): Promise<void> {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const results = await poller!.pollAll();
  const t1 = performance.now();
  for (const r of results) if (r.snapshot) await writeSnapshot(store!.db, r.snapshot);
  const t2 = performance.now();
  const h = await health!.run(results);
  const sn = await snapshots!.run(results); // issue 14 item 5 (pages)
  const t3 = performance.now();
  const cpu = process.cpuUsage(cpu0);
  sample();
  send({
    kind: 'cycle',
    pollMs: t1 - t0,
    storeMs: t2 - t1,
    cpuMicros: cpu.user + cpu.system,
    requests: results.reduce((n, r) => n + r.requests, 0),
    healthRequests: h.requests,
    healthMs: t3 - t2,
    snapshotRequests: sn.requests,
    onlineNodes: results.reduce((n, r) => n + (r.snapshot?.nodes.filter((x) => x.status === 'online').length ?? 0), 0),
    guests: results.reduce((n, r) => n + (r.snapshot?.guests.length ?? 0), 0),
    failed: results.filter((r) => !r.ok).length,
    peakRss: Math.max(peakRss, vmHwm()),
    peakHeap,
  });
}

// the agent's modules are loaded (as in the service), not run
void agentMain;
process.on('message', (m: ChildSetup | { cmd: 'cycle' } | { cmd: 'stop' }) => {
  const step = m.cmd === 'setup' ? setup(m) : m.cmd === 'cycle' ? cycle() : Promise.all([...clients.values()].map((c) => c.close())).then(() => store?.close()).then(() => process.disconnect());
  step.catch((err: unknown) => send({ kind: 'error', message: err instanceof Error ? (err.stack ?? err.message) : String(err) }));
});
