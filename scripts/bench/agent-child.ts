// The whole agent in one process for the agent benchmark (agent.bench.ts): poll, store, site and
// inbox as `pmi-agent run` wires them, bundled like production and started by plain `node` with
// the systemd unit's node flags. Arguments: config path, cycles, interval seconds. Reports its
// peak and final RSS over IPC once runAgent has returned.
import { runAgent } from '../../agent/main.ts';

const [configPath, cycles, interval] = process.argv.slice(2);
const code = await runAgent(configPath!, { maxCycles: Number(cycles), intervalSeconds: Number(interval) });
const mem = process.memoryUsage();
process.send!({ code, peakRssMb: process.resourceUsage().maxRSS / 1024, rssMb: mem.rss / 2 ** 20, heapUsedMb: mem.heapUsed / 2 ** 20 }, () => process.disconnect());
