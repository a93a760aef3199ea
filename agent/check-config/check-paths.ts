// The directories the agent writes must exist and be writable by whoever runs the check (run it as
// the service user — see README — for an exact answer).
import { accessSync, constants, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Config } from '../config/config.schema.ts';
import { SUBDIRS } from '../inbox/maildir.ts';
import type { Finding } from './permission-findings.ts';

function writableDir(path: string): string | undefined {
  try {
    if (!statSync(path).isDirectory()) return 'is not a directory';
    accessSync(path, constants.W_OK | constants.X_OK);
    return undefined;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? 'does not exist' : code === 'EACCES' ? 'is not writable by this user' : String(code ?? err);
  }
}

/**
 * The metrics file's folder: unlike the others the agent does not create it (under the unit /run
 * is read-only to it; tmpfiles.d makes /run/pmi-agent at every boot). A problem is a warning:
 * the agent runs without it, only the metrics file is missing.
 */
function checkMetricsFolder(config: Readonly<Config>): Finding[] {
  if (!config.metrics.enabled) return [];
  const dir = dirname(config.metrics.file);
  const problem = writableDir(dir);
  if (problem === undefined) return [];
  const fix = problem === 'does not exist' ? ' (the agent does not create it: `systemd-tmpfiles --create pmi-agent.conf` does, and every boot)' : '';
  return [{ level: 'warn', message: `metrics.file (its folder): ${dir} ${problem}; no metrics for Prometheus until it is fixed${fix}` }];
}

/** Findings for paths.database's folder, paths.site, the inbox and its sub-folders, and log file folders. */
export function checkPaths(config: Readonly<Config>): Finding[] {
  const dirs: Array<[string, string]> = [
    ['paths.database (its folder)', dirname(config.paths.database)],
    ['paths.site', config.paths.site],
    ['paths.inbox', config.paths.inbox],
    ...SUBDIRS.map((d): [string, string] => [`paths.inbox/${d}`, join(config.paths.inbox, d)]),
  ];
  if (config.log.file) dirs.push(['log.file (its folder)', dirname(config.log.file.path)]);
  if (config.log.auditFile) dirs.push(['log.auditFile (its folder)', dirname(config.log.auditFile.path)]);
  const findings: Finding[] = [];
  const missing: string[] = [];
  for (const [what, dir] of dirs) {
    const problem = writableDir(dir);
    if (problem === undefined) continue;
    if (problem === 'does not exist') {
      if (missing.some((m) => dir.startsWith(`${m}/`))) continue; // said for its parent already
      missing.push(dir);
      // The agent creates missing folders (recursively) when it can write the nearest existing one.
      let ancestor = dirname(dir);
      while (ancestor !== dirname(ancestor) && writableDir(ancestor) === 'does not exist') ancestor = dirname(ancestor);
      const ancestorProblem = writableDir(ancestor);
      findings.push(
        ancestorProblem === undefined
          ? { level: 'ok', message: `${what}: ${dir} does not exist yet; the agent will create it` }
          : { level: 'error', message: `${what}: ${dir} does not exist and ${ancestor} ${ancestorProblem}` },
      );
      continue;
    }
    findings.push({ level: 'error', message: `${what}: ${dir} ${problem}` });
  }
  if (!findings.some((f) => f.level === 'error')) findings.unshift({ level: 'ok', message: 'the database, site, inbox and log folders are usable' });
  findings.push(...checkMetricsFolder(config));
  return findings;
}
