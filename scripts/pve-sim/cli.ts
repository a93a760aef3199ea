// CLI: tsx scripts/pve-sim/cli.ts [--clusters N] [--nodes N] [--guests N] [--seed N] [--pve 7|8|9]
//   [--latency-ms N] [--port FIRST] [--fingerprint-file F] [--write-config F] [--write-agent-config F] [--standalone]
//   [--hostile-names] [--task-time-scale X] [--auth-fail-delay-ms N] [--show-secret]
// Starts the simulator, prints endpoints, token id and fingerprint; SIGINT/SIGTERM stop it.
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { startSimulator } from './index.ts';
import { simConfig } from './sim-config.ts';

const { values } = parseArgs({
  options: {
    clusters: { type: 'string' },
    nodes: { type: 'string' },
    guests: { type: 'string' },
    seed: { type: 'string' },
    pve: { type: 'string' },
    'latency-ms': { type: 'string' },
    port: { type: 'string' },
    'fingerprint-file': { type: 'string' },
    'write-config': { type: 'string' },
    'write-agent-config': { type: 'string' },
    standalone: { type: 'boolean' },
    'hostile-names': { type: 'boolean' },
    'task-time-scale': { type: 'string' },
    'auth-fail-delay-ms': { type: 'string' },
    'show-secret': { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  },
});

if (values.help) {
  process.stdout.write(
    'Usage: tsx scripts/pve-sim/cli.ts [--clusters N] [--nodes N] [--guests N] [--seed N] [--pve 7|8|9]\n' +
      '  [--latency-ms N] [--port FIRST_PORT] [--fingerprint-file FILE] [--write-config FILE] [--write-agent-config FILE]\n' +
      '  [--standalone] [--hostile-names] [--task-time-scale X] [--auth-fail-delay-ms N] [--show-secret]\n',
  );
  process.exit(0);
}

const num = (v: string | undefined, name: string): number | undefined => {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) {
    process.stderr.write(`--${name}: not a number: ${v}\n`);
    process.exit(2);
  }
  return n;
};

const pve = num(values.pve, 'pve');
if (pve !== undefined && pve !== 7 && pve !== 8 && pve !== 9) {
  process.stderr.write('--pve must be 7, 8 or 9\n');
  process.exit(2);
}

const sim = await startSimulator({
  clusters: num(values.clusters, 'clusters'),
  nodesPerCluster: num(values.nodes, 'nodes'),
  guests: num(values.guests, 'guests'),
  seed: num(values.seed, 'seed'),
  pveVersion: pve as 7 | 8 | 9 | undefined,
  latencyMs: num(values['latency-ms'], 'latency-ms'),
  basePort: num(values.port, 'port'),
  fingerprintFile: values['fingerprint-file'],
  standalone: values.standalone,
  hostileNames: values['hostile-names'],
  taskTimeScale: num(values['task-time-scale'], 'task-time-scale'),
  authFailDelayMs: num(values['auth-fail-delay-ms'], 'auth-fail-delay-ms'),
});

for (const c of sim.clusters) {
  process.stdout.write(`cluster ${c.name}${c.pveName ? ` (pve name ${c.pveName})` : ' (standalone)'}\n`);
  for (const e of c.endpoints) process.stdout.write(`  ${e.node}\t${e.url}\n`);
}
process.stdout.write(`token id:     ${sim.tokenId}\nfingerprint:  ${sim.fingerprint}\n`);
// Even a simulator's secret stays out of terminal logs unless asked for.
process.stdout.write(values['show-secret'] ? `token secret: ${sim.tokenSecret}\n` : 'token secret: (hidden; --show-secret prints it, --write-config/--write-agent-config write it to a 0600 file)\n');

const secretFile = (file: string) => `${file}.token-secret`;

if (values['write-config']) {
  // The fragment scripts/bench/poll.bench.ts reads: clusters with endpoints, token id, secret file
  // and the fingerprint at cluster level. The secret goes into its own 0600 file.
  const file = values['write-config'];
  await writeFile(secretFile(file), `${sim.tokenSecret}\n`, { mode: 0o600 });
  const clusters = sim.clusters.map((c) => ({ name: c.name, endpoints: c.endpoints.map((e) => e.url), tokenId: sim.tokenId, tokenSecretFile: secretFile(file), fingerprint: sim.fingerprint }));
  await writeFile(file, `${JSON.stringify({ clusters }, null, 2)}\n`);
  process.stdout.write(`config fragment written to ${file} (token secret in ${secretFile(file)})\n`);
}

if (values['write-agent-config']) {
  // A complete config the agent accepts as is (agent/config/config.schema.ts).
  const file = values['write-agent-config'];
  await writeFile(secretFile(file), `${sim.tokenSecret}\n`, { mode: 0o600 });
  await writeFile(file, `${JSON.stringify(simConfig(sim, { secretFile: secretFile(file) }), null, 2)}\n`);
  process.stdout.write(`agent config written to ${file} (token secret in ${secretFile(file)})\n`);
}

const stop = (signal: string) => {
  process.stdout.write(`${signal}: stopping simulator\n`);
  sim.stop().then(
    () => process.exit(0),
    () => process.exit(1),
  );
};
process.once('SIGINT', () => stop('SIGINT'));
process.once('SIGTERM', () => stop('SIGTERM'));
