// `npm run demo`: the whole product on one machine. Starts the Proxmox simulator, writes a
// config (and a token secret file) for it, runs the agent and serves the site on
// http://127.0.0.1:8080. `npm run demo -- --cycles N` runs N short cycles and exits 0, leaving
// the site in out/ and the database in var/demo/.
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { startSimulator } from './pve-sim/index.ts';
import { startStaticServer } from './static-server.ts';
import { runAgent } from '../agent/main.ts';
import { demoLogDestination } from './demo-log.ts';
import { healthEveryAll } from '../agent/config/health-config.schema.ts';

const ROOT = resolve(import.meta.dirname, '..');

const { values } = parseArgs({
  options: {
    cycles: { type: 'string' },
    port: { type: 'string', default: '8080' },
    interval: { type: 'string' },
    clusters: { type: 'string', default: '1' },
    nodes: { type: 'string', default: '3' },
    guests: { type: 'string', default: '20' },
    seed: { type: 'string', default: '1' },
    pve: { type: 'string', default: '8' },
    hostile: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  console.log(`usage: npm run demo [-- --cycles N] [--port 8080] [--interval S] [--clusters N --nodes N --guests N] [--seed N] [--pve 7|8|9] [--hostile]

Starts the Proxmox simulator on 127.0.0.1, runs pmi-agent against it over HTTPS and serves the
site on http://127.0.0.1:<port>/. With --cycles N it runs N cycles and exits.
Files: var/demo/config.json, var/demo/pmi.sqlite (database), var/demo/inbox/ (drop actions here), out/ (site),
var/demo/metrics (while it runs: the OpenMetrics file nginx would serve at /metrics).`);
  process.exit(0);
}

const int = (name: string, v: string | undefined, min: number): number | undefined => {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) {
    console.error(`demo: --${name} must be a whole number ≥ ${min}, got "${v}"`);
    process.exit(2);
  }
  return n;
};
const cycles = int('cycles', values.cycles, 1);
const port = int('port', values.port, 1)!;
const interval = int('interval', values.interval, 5) ?? (cycles ? 5 : 10);
const pve = int('pve', values.pve, 7)! as 7 | 8 | 9;

const demoDir = join(ROOT, 'var', 'demo');
const secretsDir = join(demoDir, 'secrets');
mkdirSync(secretsDir, { recursive: true, mode: 0o700 });

const sim = await startSimulator({
  seed: int('seed', values.seed, 0)!,
  clusters: int('clusters', values.clusters, 1)!,
  nodesPerCluster: int('nodes', values.nodes, 1)!,
  guests: int('guests', values.guests, 1)!,
  pveVersion: pve,
  hostileNames: values.hostile,
});

// One secret file per cluster, owner-only: the agent refuses anything more open.
const clusters = sim.clusters.map((c) => {
  const secretFile = join(secretsDir, `${c.name}.token`);
  writeFileSync(secretFile, sim.tokenSecret + '\n', { mode: 0o600 });
  chmodSync(secretFile, 0o600);
  return {
    name: c.name,
    endpoints: c.endpoints.map((e) => e.url),
    tokenId: sim.tokenId,
    tokenSecretFile: `secrets/${c.name}.token`,
    tls: { fingerprint: sim.fingerprint },
    timeoutMs: 5000,
  };
});

const config = {
  clusters,
  pollIntervalSeconds: interval,
  paths: { database: 'pmi.sqlite', site: '../../out', inbox: 'inbox' },
  actions: {
    // A sensible demo policy: everyday power actions everywhere; snapshots and rollbacks only on
    // guests tagged "dev"; migration only for guests in the "production" pool. Everything else
    // is rejected.
    policy: [
      { actions: ['start', 'shutdown', 'reboot', 'stop', 'suspend', 'resume', 'snapshot'] },
      { actions: ['rollback', 'delete-snapshot', 'reset'], tags: ['dev'] },
      { actions: ['migrate'], pools: ['production'] },
    ],
  },
  site: { title: 'PMI Dashboard demo' },
  // Next to the demo's other files instead of /run/pmi-agent, which a development machine lacks.
  metrics: { file: 'metrics' },
  // The health tiers' real periods are minutes to hours; the demo reads them every few cycles so
  // backups, disks, pools, HA, Ceph, replication and certificates show within a minute.
  health: {
    every: healthEveryAll(Math.max(5, interval * 3)),
    logsPerNodePerHour: 3600,
  },
};
const configPath = join(demoDir, 'config.json');
writeFileSync(configPath, JSON.stringify(config, null, 2) + '\n');

// A running, non-template guest for the printed example.
const exampleVmid = [...(sim.world.clusters[0]?.guests.values() ?? [])].find((g) => g.status === 'running' && !g.template && !g.lock)?.vmid ?? 101;

let server: Awaited<ReturnType<typeof startStaticServer>> | undefined;
const started = Date.now();
const code = await runAgent(configPath, {
  intervalSeconds: interval,
  logDestination: demoLogDestination(), // readable lines; the service logs JSON
  ...(cycles && { maxCycles: cycles }),
  onCycle: (s, n) => {
    process.stderr.write(`demo: cycle ${n}${cycles ? `/${cycles}` : ''} done in ${s.ms} ms (${s.guests} guests, ${s.failed} cluster(s) failed)\n`);
    if (n === 1 && !cycles) {
      process.stderr.write(`demo: first site ready after ${((Date.now() - started) / 1000).toFixed(1)} s: http://127.0.0.1:${port}/\n`);
    }
  },
  onStarted: () => {
    if (cycles) return;
    void startStaticServer(join(ROOT, 'out', 'current'), port).then(
      (s) => {
        server = s;
        process.stderr.write(`demo: serving the site on http://127.0.0.1:${port}/ (Ctrl-C to stop)\n` +
          `demo: drop an action: npm run submit -- --config ${configPath} --cluster ${sim.clusters[0]!.name} --vmid ${exampleVmid} --action reboot --wait\n`);
      },
      (err: unknown) => {
        process.stderr.write(`demo: cannot serve on 127.0.0.1:${port}: ${String(err)} (use --port)\n`);
      },
    );
  },
});
server?.close();
await sim.stop();
if (cycles) process.stderr.write(`demo: ${cycles} cycles done; site in out/current/, database in var/demo/pmi.sqlite\n`);
process.exit(code);
