// `pmi-agent health`: the container's HEALTHCHECK (and usable from cron or monitoring on a host).
// Reads the config and one value from the database, prints one line, exit 0 healthy / 1 not.
import { loadConfig } from '../config/load-config.ts';
import { errorMessage } from '../errors.ts';
import { readLastGoodPollSec, readLastGoodPollSecPg } from '../store/liveness.repository.ts';
import { judgeLiveness } from './liveness.ts';

export function runHealthCheck(configPath: string, io: { stdout: (t: string) => void; stderr: (t: string) => void }, nowMs = Date.now()): number | Promise<number> {
  const config = loadConfig(configPath);
  // PostgreSQL store (#17): the same read over a short-lived connection
  if (config.database) {
    const db = config.database;
    return readLastGoodPollSecPg(db, process.env.CREDENTIALS_DIRECTORY).then(
      (lastGoodSec) => {
        const l = judgeLiveness({ lastGoodSec, nowSec: nowMs / 1000, intervalSec: config.pollIntervalSeconds });
        (l.healthy ? io.stdout : io.stderr)(`${l.message}\n`);
        return l.healthy ? 0 : 1;
      },
      (err: unknown) => {
        io.stderr(`unhealthy: cannot read the PostgreSQL database: ${errorMessage(err)}\n`);
        return 1;
      },
    );
  }
  let lastGoodSec: number | undefined;
  try {
    lastGoodSec = readLastGoodPollSec(config.paths.database);
  } catch (err) {
    io.stderr(`unhealthy: cannot read ${config.paths.database}: ${errorMessage(err)}\n`);
    return 1;
  }
  const l = judgeLiveness({ lastGoodSec, nowSec: nowMs / 1000, intervalSec: config.pollIntervalSeconds });
  (l.healthy ? io.stdout : io.stderr)(`${l.message}\n`);
  return l.healthy ? 0 : 1;
}
