// `pmi-agent` command line: parse, dispatch, map outcomes to exit codes. The work lives in
// main.ts (run, once) and check-config/; this file only holds the process edges.
import { readFileSync, realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { PmiError, errorMessage } from './errors.ts';

/** Conventional exit codes (sysexits.h for the config case). */
export const EXIT_CODES = { OK: 0, FAILURE: 1, USAGE: 2, CONFIG: 78 } as const;

export const DEFAULT_CONFIG = '/etc/pmi-agent/config.json';

export const USAGE = `Usage: pmi-agent <command> [--config PATH]

Watch and operate Proxmox VE clusters: poll into SQLite, act on inbox files, publish a static site.

Commands:
  run            run the agent until SIGTERM/SIGINT (what the systemd unit starts)
  once           run one cycle (poll, store, publish), then exit
  check-config   validate the config, load the token secrets, connect to every cluster and
                 report reachability, TLS and the token's privileges; non-zero exit on any problem
  rules check    check the alert rules (pmi-agent rules --help)
  rules backtest RULE [--since 30d]
                 replay an alert rule over the stored history
  db copy --from sqlite:FILE --to postgres://…
                 copy a SQLite history into an empty PostgreSQL database (pmi-agent db --help)
  health         exit 0 when a cluster answered a poll within 3 poll intervals, else 1
                 (the container's health check; reads the database only)

Options:
  -c, --config PATH   config file (default: $PMI_CONFIG or ${DEFAULT_CONFIG})
  -h, --help          show this help
  -V, --version       show the version

Exit codes: 0 ok, 1 runtime failure or problems found, 2 usage error, 78 configuration error.
`;

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: NodeJS.ProcessEnv;
}

export interface CliCommands {
  run(configPath: string, env: NodeJS.ProcessEnv): Promise<number>;
  once(configPath: string, env: NodeJS.ProcessEnv): Promise<number>;
  checkConfig(configPath: string, io: CliIo): Promise<number>;
  health(configPath: string, io: CliIo): Promise<number>;
  version(): string;
}

export type ParsedCli =
  | { kind: 'help' }
  | { kind: 'version' }
  | { kind: 'command'; command: (typeof COMMANDS)[number]; configPath: string }
  | { kind: 'usage-error'; message: string };

const COMMANDS = ['run', 'once', 'check-config', 'health'] as const;

/** Pure: argv (without node and script) and the environment → what to do. */
export function parseCli(argv: readonly string[], env: NodeJS.ProcessEnv): ParsedCli {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        config: { type: 'string', short: 'c' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'V' },
      },
    });
  } catch (err) {
    return { kind: 'usage-error', message: errorMessage(err) };
  }
  const { values, positionals } = parsed;
  if (values.help) return { kind: 'help' };
  if (values.version) return { kind: 'version' };
  if (positionals.length === 0) return { kind: 'usage-error', message: 'no command given' };
  const [command, ...extra] = positionals;
  if (!COMMANDS.includes(command as (typeof COMMANDS)[number])) return { kind: 'usage-error', message: `unknown command "${command}"` };
  if (extra.length > 0) return { kind: 'usage-error', message: `unexpected argument "${extra[0]}"` };
  if (values.config === '') return { kind: 'usage-error', message: '--config needs a path' };
  const configPath = values.config ?? (env.PMI_CONFIG || DEFAULT_CONFIG);
  return { kind: 'command', command: command as (typeof COMMANDS)[number], configPath };
}

/** Runs the CLI and returns the exit code; every side effect goes through io and commands. */
export async function runCli(argv: readonly string[], io: CliIo, commands: CliCommands = defaultCommands): Promise<number> {
  // alerts (#16): `rules …` has its own subcommands and options
  if (argv[0] === 'rules') return (await import('./alerts/rules-cli.ts')).runRulesCli(argv.slice(1), io, DEFAULT_CONFIG);
  // PostgreSQL store (#17): `db copy` moves a SQLite history into PostgreSQL
  if (argv[0] === 'db') return (await import('./db-cli.ts')).runDbCli(argv.slice(1), io);
  const p = parseCli(argv, io.env);
  switch (p.kind) {
    case 'help':
      io.stdout(USAGE);
      return EXIT_CODES.OK;
    case 'version':
      io.stdout(`pmi-agent ${commands.version()}\n`);
      return EXIT_CODES.OK;
    case 'usage-error':
      io.stderr(`pmi-agent: ${p.message}\n\n${USAGE}`);
      return EXIT_CODES.USAGE;
    case 'command':
      try {
        if (p.command === 'run') return await commands.run(p.configPath, io.env);
        if (p.command === 'once') return await commands.once(p.configPath, io.env);
        if (p.command === 'health') return await commands.health(p.configPath, io);
        return await commands.checkConfig(p.configPath, io);
      } catch (err) {
        if (err instanceof PmiError) {
          io.stderr(`pmi-agent: ${err.message}\n`);
          return err.code === 'CONFIG_INVALID' || err.code.startsWith('SECRET_') ? EXIT_CODES.CONFIG : EXIT_CODES.FAILURE;
        }
        io.stderr(`pmi-agent: ${p.command} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
        return EXIT_CODES.FAILURE;
      }
  }
}

/** The real commands; main.ts and check-config are imported on demand so --help stays instant. */
export const defaultCommands: CliCommands = {
  async run(configPath, env) {
    const { runAgent } = await import('./main.ts');
    return runAgent(configPath, { env });
  },
  async once(configPath, env) {
    const { runOnce } = await import('./main.ts');
    return runOnce(configPath, { env });
  },
  async checkConfig(configPath, io) {
    const { runCheckConfig } = await import('./check-config/run-check-config.ts');
    return runCheckConfig(configPath, io);
  },
  async health(configPath, io) {
    const { runHealthCheck } = await import('./liveness/run-health-check.ts');
    return runHealthCheck(configPath, io);
  },
  version() {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
    return pkg.version;
  },
};

/** Entry point used by agent/bin/pmi-agent.js and `tsx agent/cli.ts`. */
export async function main(argv: readonly string[] = process.argv.slice(2)): Promise<number> {
  return runCli(argv, {
    stdout: (t) => process.stdout.write(t),
    stderr: (t) => process.stderr.write(t),
    env: process.env,
  });
}

function isEntryPoint(): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  process.exitCode = await main();
}
