// Optional rotated log files (pino-roll) next to the journald stdout stream.
//
// Convention: main.ts builds ONE root logger (and one audit logger) here and hands each part a
// child: `log.child({ module: 'poll' })`, `{ module: 'inbox' }`, `{ module: 'site' }`, … so every
// line says where it came from and a part never creates its own pino instance or destination.
import { createRequire } from 'node:module';
import pino, { type DestinationStream, type StreamEntry } from 'pino';
import type { Config } from '../config/config.schema.ts';
import { createLogger, type Logger } from './logger.ts';

type LogConfig = Config['log'];
type LogFileConfig = NonNullable<LogConfig['file']>;

/** The subset of pino-roll's options we use (pino-roll ships no types). */
export interface RollOptions {
  file: string;
  frequency?: 'daily' | 'hourly' | number;
  size?: string;
  dateFormat?: string;
  limit: { count: number; removeOtherLogFiles: boolean };
  mkdir: boolean;
}

interface RollStream extends DestinationStream {
  flush(cb?: (err?: Error) => void): void;
  end(): void;
  once(event: 'close' | 'finish', cb: () => void): unknown;
}

// pino-roll is CommonJS without type declarations; require() keeps the boundary typed here. It is
// loaded when a log file is configured, not before: with date-fns, which it loads whole, it is
// ~2 MB of the agent's heap (#13 item 7).
const require = createRequire(import.meta.url);
const pinoRoll = (opts: RollOptions) => (require('pino-roll') as (opts: RollOptions) => Promise<RollStream>)(opts);

/**
 * pino-roll options for one configured file: rotation by day/hour/interval and/or size, and the
 * retention count applied across restarts (older files of the same base name are removed too).
 */
export function rollOptions(cfg: LogFileConfig): RollOptions {
  const opts: RollOptions = {
    file: cfg.path,
    frequency: cfg.frequency,
    limit: { count: cfg.keep, removeOtherLogFiles: true },
    mkdir: true,
  };
  if (cfg.frequency === 'daily') opts.dateFormat = 'yyyy-MM-dd';
  if (cfg.frequency === 'hourly') opts.dateFormat = 'yyyy-MM-dd-HH';
  if (cfg.size !== undefined) opts.size = cfg.size;
  return opts;
}

/** Opens a rotated file stream for one configured log file. */
export async function openRolledFile(cfg: LogFileConfig): Promise<RollStream> {
  return pinoRoll(rollOptions(cfg));
}

export interface AgentLoggers {
  /** The application log: stdout (journald) plus log.file when configured. */
  log: Logger;
  /** Audit trail of actions: stdout plus log.auditFile when configured; lines carry `audit: true`. */
  auditLog: Logger;
  /** Flushes and closes the files (call last at shutdown). */
  close(): Promise<void>;
}

export interface AgentLoggerOptions {
  /** Defaults to stdout; tests pass a sink. */
  stdout?: DestinationStream;
  /** Known secret values to mask in message strings (see createLogger). */
  secrets?: () => Iterable<string>;
}

/**
 * The application and audit loggers for a config: JSON to stdout for journald always, and each
 * to its own rotated file when `log.file` / `log.auditFile` is set (pino.multistream).
 */
export async function createAgentLoggers(cfg: LogConfig, opts: AgentLoggerOptions = {}): Promise<AgentLoggers> {
  const stdout = opts.stdout ?? pino.destination({ dest: 1, sync: false });
  const files: RollStream[] = [];
  const level = cfg.level;

  async function destination(file: LogFileConfig | undefined): Promise<DestinationStream> {
    if (!file) return stdout;
    const rolled = await openRolledFile(file);
    files.push(rolled);
    const streams: StreamEntry[] = [
      { level, stream: stdout },
      { level, stream: rolled },
    ];
    return pino.multistream(streams);
  }

  const log = createLogger({ level, destination: await destination(cfg.file), secrets: opts.secrets ?? noSecrets });
  const auditLog = createLogger({ level, destination: await destination(cfg.auditFile), secrets: opts.secrets ?? noSecrets }).child({ audit: true });

  return {
    log,
    auditLog,
    async close() {
      await Promise.all(files.map((f) => closeStream(f)));
    },
  };
}

function closeStream(stream: RollStream): Promise<void> {
  return new Promise((resolve) => {
    stream.flush(() => {
      stream.once('close', () => resolve());
      stream.end();
    });
  });
}

// createLogger installs its masking hook only when given a secrets source; always passing one
// keeps pino's hooks option defined.
function noSecrets(): string[] {
  return [];
}
