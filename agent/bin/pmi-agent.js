#!/usr/bin/env node
// The package's `bin`: registers tsx (the agent is TypeScript, run without a build step), then
// hands over to the CLI. Kept in plain JS so node can start it directly (systemd ExecStart).
/* global process -- a Node entry point */
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../cli.ts');
process.exitCode = await main(process.argv.slice(2));
