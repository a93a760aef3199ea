import pino, { type DestinationStream, type Logger } from 'pino';

export type { Logger };

/** Paths pino blanks out wherever they appear, so a secret can never reach a log line. */
export const REDACT_PATHS = [
  'tokenSecret',
  '*.tokenSecret',
  'config.clusters[*].tokenSecret',
  'secret',
  '*.secret',
  'authorization',
  '*.authorization',
  'headers.authorization',
  '*.headers.authorization',
  'req.headers.authorization',
];

export interface LoggerOptions {
  level?: string;
  /** Where lines go; stdout (journald) by default. Tests pass a sink stream. */
  destination?: DestinationStream;
  /** Extra secret strings to scrub from messages, e.g. the loaded token secrets. */
  secrets?: () => Iterable<string>;
}

/**
 * The root logger: JSON on stdout for journald. Token secrets are redacted by path, and any
 * known secret value that slipped into a message, a field or an error (message, stack, cause)
 * is masked as well.
 */
export function createLogger(opts: LoggerOptions = {}): Logger {
  const secrets = opts.secrets;
  const deep = (v: unknown) => (secrets ? maskDeep(v, [...secrets()]) : v);
  return pino(
    {
      level: opts.level ?? 'info',
      base: { name: 'pmi-agent' },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      formatters: {
        level: (label) => ({ level: label }),
        ...(secrets && { log: (obj: Record<string, unknown>) => deep(obj) as Record<string, unknown> }),
      },
      ...(secrets && { serializers: { err: (e: Error) => deep(pino.stdSerializers.err(e)) } }),
      ...(secrets && {
        hooks: {
          logMethod(args, method) {
            const masked = args.map((a) => (typeof a === 'string' ? maskSecrets(a, secrets()) : a));
            method.apply(this, masked as Parameters<typeof method>);
          },
        },
      }),
    },
    opts.destination ?? pino.destination({ dest: 1, sync: false }),
  );
}

/** Masks secrets in every string of a plain value (objects and arrays, a few levels deep). */
export function maskDeep(v: unknown, secrets: string[], depth = 0): unknown {
  if (typeof v === 'string') return maskSecrets(v, secrets);
  if (!v || typeof v !== 'object' || depth > 6) return v;
  if (v instanceof Error) return maskDeep(pino.stdSerializers.err(v), secrets, depth + 1);
  if (Array.isArray(v)) return v.map((x) => maskDeep(x, secrets, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) out[k] = maskDeep(x, secrets, depth + 1);
  return out;
}

/** Replaces every occurrence of each secret in text by "[redacted]". */
export function maskSecrets(text: string, secrets: Iterable<string>): string {
  let out = text;
  for (const s of secrets) if (s.length >= 4) out = out.split(s).join('[redacted]');
  return out;
}
