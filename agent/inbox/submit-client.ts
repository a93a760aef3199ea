// The submitter's side of the inbox protocol (used by scripts/submit-action.ts): write a request
// safely into a shared tmp/, hand it over, find one's own result, and say it in one line.
import { constants as C } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { open, readFile, readdir, rename } from 'node:fs/promises';
import { join } from 'node:path';
import type { ActionResult } from './result-file.ts';

/** An unpredictable file name for a request (128 random bits), readable by its id. */
export function requestFileName(id: string): string {
  return `${id}.${randomBytes(16).toString('hex')}.json`;
}

/**
 * Writes tmp/<name> with O_CREAT|O_EXCL|O_NOFOLLOW (a planted file or symlink makes it fail, it is
 * never followed or overwritten), fsyncs, and renames it into new/. Returns the name.
 */
export async function writeRequestFile(inbox: string, text: string, name: string): Promise<string> {
  const tmp = join(inbox, 'tmp', name);
  const fh = await open(tmp, C.O_WRONLY | C.O_CREAT | C.O_EXCL | C.O_NOFOLLOW, 0o640);
  try {
    await fh.writeFile(text);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, join(inbox, 'new', name));
  return name;
}

export type FoundResult = { folder: 'done' | 'failed' | 'rejected'; body: string; result: ActionResult };

/**
 * Finds the result of the file we dropped, whatever name it got (`<id>.json`, or `<id>~….json`
 * when someone else used the id too): the one whose `file` is our file name and whose submitter is us.
 */
export async function findOwnResult(inbox: string, id: string, file: string, uid: number | null): Promise<FoundResult | undefined> {
  for (const folder of ['done', 'failed', 'rejected'] as const) {
    for (const f of await readdir(join(inbox, folder)).catch(() => [] as string[])) {
      if (f !== `${id}.json` && !f.startsWith(`${id}~`)) continue;
      try {
        const body = await readFile(join(inbox, folder, f), 'utf8');
        const result = JSON.parse(body) as ActionResult;
        if (result.file === file && (uid === null || result.submitter.uid === uid)) return { folder, body, result };
      } catch {
        // unreadable: look again next round
      }
    }
  }
  return undefined;
}

/** "done: stop lab/101 in 3.2 s" / "rejected: reset lab/104 in 0.1 s — reason". Pure. */
export function summaryLine(r: ActionResult): string {
  const guest = r.cluster !== null && r.vmid !== null ? `${r.cluster}/${r.vmid}` : 'unknown guest';
  const from = Date.parse(r.timings.receivedAt ?? '');
  const to = Date.parse(r.timings.finishedAt ?? '');
  const took = Number.isFinite(from) && Number.isFinite(to) ? ` in ${((to - from) / 1000).toFixed(1)} s` : '';
  const why = r.reason ? ` — ${r.errorCode ? `${r.errorCode}: ` : ''}${r.reason}` : '';
  return `${r.outcome}: ${r.action ?? 'request'} ${guest}${took}${r.upid ? ` (${r.upid})` : ''}${why}`;
}

/** The command-line flag for a request field path, for messages that name what the user typed. */
export function flagOf(path: string): string {
  const map: Record<string, string> = {
    vmid: '--vmid', cluster: '--cluster', action: '--action', id: '--id', node: '--node', reason: '--reason', notBefore: '--not-before', expires: '--expires',
    'params.name': '--name', 'params.target': '--target', 'params.timeoutSeconds': '--timeout-seconds', 'params.description': '--description',
  };
  return map[path] ?? path;
}

/** Flags a request cannot do without, per action: the first one missing, by name. Pure. */
export function missingFlag(v: Record<string, unknown>): string | undefined {
  for (const f of ['cluster', 'vmid', 'action']) if (v[f] === undefined) return `--${f} is required`;
  const needs: Record<string, string> = { snapshot: 'name', rollback: 'name', 'delete-snapshot': 'name', migrate: 'target' };
  const need = needs[String(v.action)];
  if (need && v[need] === undefined) return `--${need} is required for --action ${String(v.action)}`;
  return undefined;
}
