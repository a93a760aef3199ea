#!/usr/bin/env node
// The package's `bin` and the systemd ExecStart. Runs dist/pmi-agent.js (the esbuild bundle that
// scripts/install.sh builds with `npm run build`) when it is current: plain node, no TypeScript
// loader in the long-running process (~55 MB less RSS). Otherwise — a development checkout, or
// sources changed after the last build — it registers tsx and runs the TypeScript CLI, and says
// so on stderr when a bundle exists but is stale, so an outdated bundle never runs.
// PMI_AGENT_TSX=1 forces the TypeScript sources. Kept in plain JS so node can start it directly.
/* global process -- a Node entry point */
import { AGENT_BUNDLE, bundleStatus } from './bundle-status.js';
import { existsSync } from 'node:fs';

const status = process.env.PMI_AGENT_TSX === '1' ? { current: false } : bundleStatus(AGENT_BUNDLE);
if (status.current) {
  // the bundle's entry runs the CLI with process.argv and sets process.exitCode
  await import(AGENT_BUNDLE);
} else {
  if (status.reason && existsSync(AGENT_BUNDLE)) process.stderr.write(`pmi-agent: not using ${AGENT_BUNDLE}: ${status.reason}; running the TypeScript sources with tsx (rebuild: npm run build)\n`);
  const { register } = await import('tsx/esm/api');
  register();
  const { main } = await import('../cli.ts');
  process.exitCode = await main(process.argv.slice(2));
}
