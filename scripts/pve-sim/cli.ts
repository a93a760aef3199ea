// CLI: tsx scripts/pve-sim/cli.ts [--clusters N] [--nodes N] [--guests N] [--seed N] [--pve 7|8|9]
//   [--latency-ms N] [--port FIRST] [--fingerprint-file F] [--write-config F] [--standalone]
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
      '  [--latency-ms N] [--port FIRST_PORT] [--fingerprint-file FILE] [--write-config FILE]\n' +
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
process.stdout.write(values['show-secret'] ? `token secret: ${sim.tokenSecret}\n` : 'token secret: (hidden; --show-secret prints it, --write-config writes it to a 0600 file)\n');

if (values['write-config']) {
  // A complete agent config; the secret goes into its own file next to it (mode 0600).
  const file = values['write-config'];
  const secretFile = `${file}.token-secret`;
  await writeFile(secretFile, `${sim.tokenSecret}\n`, { mode: 0o600 });
  await writeFile(file, `${JSON.stringify(simConfig(sim, { secretFile }), null, 2)}\n`);
  process.stdout.write(`config written to ${file} (token secret in ${secretFile})\n`);
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
