#!/usr/bin/env node
// The package's `bin` and the systemd ExecStart. `npm run build` compiles it with the rest of the
// application (plain tsc, scripts/build.ts) to dist/agent/bin/pmi-agent.js, and that is what the
// service runs with plain node: no TypeScript loader, no bundle, no freshness check at start.
// In a development checkout run the sources instead: `npm start`, or `node --import tsx agent/bin/pmi-agent.ts`.
import { main } from '../cli.ts';

process.exitCode = await main(process.argv.slice(2));
