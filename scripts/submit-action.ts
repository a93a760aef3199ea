// Writes a correct action request into an inbox (tmp/ then rename into new/, under an unpredictable
// name, never following a planted link) and, with --wait, shows progress and prints a one-line
// summary of its result (--json: the whole result file). Exit: 0 done, 1 failed, 2 rejected, 3 timeout, 64 usage.
//   npm run submit -- --inbox /var/spool/pmi-agent/inbox --cluster lab --vmid 101 --action start --wait
import { randomUUID } from 'node:crypto';
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../agent/config/load-config.ts';
import { ActionRequest } from '../agent/inbox/action-request.schema.ts';
import { formatIssuePath } from '../agent/inbox/parse-action.ts';
import { findOwnResult, flagOf, missingFlag, requestFileName, summaryLine, writeRequestFile } from '../agent/inbox/submit-client.ts';

const USAGE = `usage: npm run submit -- (--inbox DIR | --config FILE) --cluster NAME --vmid N --action ACTION [options]
actions: start | shutdown [--timeout-seconds N] [--force-stop] | stop | reboot [--timeout-seconds N]
         | reset | suspend [--to-disk] | resume | snapshot --name S [--description T] [--include-ram]
         | rollback --name S [--start] | delete-snapshot --name S | migrate --target NODE [--online]
options: --node NODE  --reason TEXT  --not-before TIME  --expires TIME (ISO 8601 or epoch seconds)
         --id ID (default: generated)  --wait [SECONDS] (default 300)  --print (only print the request)
         --json (with --wait: print the whole result file instead of the one-line summary)
exit: 0 done, 1 failed, 2 rejected, 3 timed out waiting, 64 bad usage`;

const time = (s: string | undefined) => (s === undefined ? undefined : /^\d+$/.test(s) ? Number(s) : s);

/** Builds the request object from command-line values (validated by the caller). */
export function requestFromArgs(v: Record<string, string | boolean | undefined>, id: string): unknown {
  const num = (s: unknown) => (s === undefined ? undefined : Number(s));
  const params: Record<string, unknown> = {};
  const set = (k: string, val: unknown) => {
    if (val !== undefined && val !== false) params[k] = val;
  };
  switch (String(v.action)) {
    case 'shutdown': set('timeoutSeconds', num(v['timeout-seconds'])); set('forceStop', v['force-stop']); break;
    case 'reboot': set('timeoutSeconds', num(v['timeout-seconds'])); break;
    case 'suspend': set('toDisk', v['to-disk']); break;
    case 'snapshot': set('name', v.name); set('description', v.description); set('includeRam', v['include-ram']); break;
    case 'rollback': set('name', v.name); set('start', v.start); break;
    case 'delete-snapshot': set('name', v.name); break;
    case 'migrate': set('target', v.target); set('online', v.online); break;
    default: break;
  }
  return {
    version: 1,
    id,
    cluster: v.cluster,
    vmid: num(v.vmid),
    ...(v.node ? { node: v.node } : {}),
    action: v.action,
    ...(Object.keys(params).length ? { params } : {}),
    ...(v['not-before'] ? { notBefore: time(v['not-before'] as string) } : {}),
    ...(v.expires ? { expires: time(v.expires as string) } : {}),
    ...(v.reason ? { reason: v.reason } : {}),
  };
}

async function main(argv: string[]): Promise<number> {
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({
      args: argv,
      options: {
        inbox: { type: 'string' }, config: { type: 'string' }, cluster: { type: 'string' }, vmid: { type: 'string' },
        action: { type: 'string' }, node: { type: 'string' }, reason: { type: 'string' }, 'not-before': { type: 'string' },
        expires: { type: 'string' }, id: { type: 'string' }, wait: { type: 'boolean' }, print: { type: 'boolean' },
        'timeout-seconds': { type: 'string' }, 'force-stop': { type: 'boolean' }, 'to-disk': { type: 'boolean' },
        name: { type: 'string' }, description: { type: 'string' }, 'include-ram': { type: 'boolean' }, start: { type: 'boolean' },
        target: { type: 'string' }, online: { type: 'boolean' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
      },
      allowPositionals: true,
    }).values;
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${USAGE}\n`);
    return 64;
  }
  const positionals = argv.filter((a, i) => /^\d+$/.test(a) && argv[i - 1] === '--wait');
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const inbox = (values.inbox as string | undefined) ?? (values.config ? loadConfig(values.config as string).paths.inbox : undefined);
  if (!inbox) {
    process.stderr.write(`give --inbox DIR or --config FILE\n${USAGE}\n`);
    return 64;
  }
  const missing = missingFlag(values);
  if (missing) {
    process.stderr.write(`${missing}\n${USAGE}\n`);
    return 64;
  }
  const id = (values.id as string | undefined) ?? `${new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '')}-${randomUUID().slice(0, 8)}`;
  const req = requestFromArgs(values, id);
  const parsed = ActionRequest.safeParse(req);
  if (!parsed.success) {
    process.stderr.write(`not a valid request:\n${parsed.error.issues.map((i) => `  - ${flagOf(formatIssuePath(i.path))}: ${i.message}`).join('\n')}\n${USAGE}\n`);
    return 64;
  }
  const text = `${JSON.stringify(parsed.data, null, 2)}\n`;
  if (values.print) {
    process.stdout.write(text);
    return 0;
  }
  const file = await writeRequestFile(inbox, text, requestFileName(id));
  process.stderr.write(`submitted ${id} as new/${file}\n`);
  if (!values.wait) return 0;
  const waitSeconds = positionals[0] ? Number(positionals[0]) : 300;
  const started = Date.now();
  const deadline = started + waitSeconds * 1000;
  const uid = process.getuid?.() ?? null;
  const progress = createProgress(id);
  while (Date.now() < deadline) {
    const r = await findOwnResult(inbox, id, file, uid);
    if (r) {
      progress.end();
      process.stdout.write(values.json ? (r.body.endsWith('\n') ? r.body : `${r.body}\n`) : `${summaryLine(r.result)}\n`);
      return r.folder === 'done' ? 0 : r.folder === 'failed' ? 1 : 2;
    }
    const waiting = await access(join(inbox, 'new', file)).then(() => true, () => false);
    progress.show(waiting ? 'waiting for the agent to pick it up' : 'picked up; being worked on', Date.now() - started);
    await new Promise((res) => setTimeout(res, 200));
  }
  progress.end();
  process.stderr.write(`no outcome for ${id} within ${waitSeconds}s (is the agent running? the request stays queued)\n`);
  return 3;
}

/** Progress on stderr: updated in place on a terminal, one line per change otherwise. */
function createProgress(id: string): { show(state: string, ms: number): void; end(): void } {
  const tty = process.stderr.isTTY === true;
  let last = '';
  let shownAt = 0;
  return {
    show(state, ms) {
      if (tty) {
        if (ms - shownAt < 1000 && state === last) return;
        shownAt = ms;
        last = state;
        process.stderr.write(`\r${id}: ${state} (${Math.round(ms / 1000)} s)\u001b[K`);
      } else if (state !== last) {
        last = state;
        process.stderr.write(`${id}: ${state}\n`);
      }
    },
    end() {
      if (tty && last) process.stderr.write('\r\u001b[K');
    },
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`${(err as Error).message}\n`);
      process.exit(64);
    },
  );
}

export { main };
