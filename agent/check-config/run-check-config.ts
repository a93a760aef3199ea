// The check-config command's edge: build the quiet logger, run the checks, print, pick the exit code.
import { PmiError } from '../errors.ts';
import { createLogger } from '../log/logger.ts';
import { checkConfig, hasErrors } from './check-config.ts';
import { formatReport } from './format-report.ts';

interface Io {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: NodeJS.ProcessEnv;
}

/** Prints the report to stdout; 0 when nothing is wrong, 1 on any problem, 78 for an invalid config. */
export async function runCheckConfig(configPath: string, io: Io): Promise<number> {
  const log = createLogger({ level: 'silent', secrets: () => [] });
  try {
    const report = await checkConfig(configPath, { log, credentialsDir: io.env.CREDENTIALS_DIRECTORY || undefined });
    io.stdout(formatReport(report));
    return hasErrors(report) ? 1 : 0;
  } catch (err) {
    if (err instanceof PmiError && err.code === 'CONFIG_INVALID') {
      io.stderr(`pmi-agent check-config: ${err.message}\n`);
      return 78;
    }
    throw err;
  }
}
