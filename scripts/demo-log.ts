// The demo's log lines for a person at a terminal: "12:01:05 info  alerts  alert … firing: …"
// instead of pino's JSON (the service keeps JSON for journald and the log file). Pure formatter
// plus a pino destination that writes formatted lines to stderr.
import type { DestinationStream } from 'pino';

const LEVELS: Record<number, string> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' };
/** Keys every line has, or that the short form shows already. */
const SHOWN = new Set(['level', 'time', 'name', 'module', 'msg', 'pid', 'hostname']);

/** One JSON log line → one readable line; a line that is not JSON comes back as it was. */
export function formatLogLine(line: string): string {
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line.trimEnd();
  }
  const time = typeof o.time === 'number' ? new Date(o.time).toISOString().slice(11, 19) : '--:--:--';
  const level = (LEVELS[o.level as number] ?? String(o.level)).padEnd(5);
  const mod = typeof o.module === 'string' ? `${o.module.padEnd(8)} ` : '';
  const err = o.err && typeof o.err === 'object' ? (o.err as { message?: unknown }).message : undefined;
  const extra = o.level as number >= 40
    ? Object.entries(o).filter(([k]) => !SHOWN.has(k) && k !== 'err').map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`).join(' ')
    : '';
  return `${time} ${level} ${mod}${String(o.msg ?? '')}${err && !String(o.msg).includes(String(err)) ? ` (${String(err)})` : ''}${extra ? `  ${extra}` : ''}`;
}

/** A pino destination writing formatted lines to `out` (stderr by default). */
export function demoLogDestination(out: NodeJS.WritableStream = process.stderr): DestinationStream {
  return {
    write(msg: string) {
      for (const line of msg.split('\n')) if (line) out.write(`${formatLogLine(line)}\n`);
    },
  };
}
