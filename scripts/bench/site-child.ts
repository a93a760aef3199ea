// Child process of the site benchmark (site.bench.ts): runs one size under production's node
// flags and reports over IPC. Arguments: guests, cycles.
import { benchSize } from './site.bench.ts';

const send = (m: object) => new Promise<void>((res) => process.send!(m, () => res()));
const [guests, cycles] = process.argv.slice(2).map(Number);
try {
  const result = await benchSize(guests!, cycles!, (l) => void send({ log: l }));
  await send({ result });
} catch (err) {
  await send({ error: err instanceof Error ? err.stack ?? err.message : String(err) });
  process.exitCode = 1;
}
process.disconnect();
