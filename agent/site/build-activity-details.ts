// Pure (issue 14 item 6): the readable details of tasks and actions — an action's parameters,
// its duration, its message with the Proxmox UPID taken out (a UPID at the start of a message
// pushed the table off screen), and the names of the guests they concern.
import { fmtDuration } from './format.ts';
import type { ActionRow } from '../store/site-activity.repository.ts';

/** Key `${cluster}/${vmid}` → guest name, for task and action rows. */
export type GuestNames = Map<string, string>;

/** "name \"pre-upgrade\", timeout 120 s, force stop" from an action's stored params JSON. */
export function formatActionParams(json: string | null | undefined): string {
  if (!json) return '';
  let p: unknown;
  try {
    p = JSON.parse(json);
  } catch {
    return '';
  }
  if (!p || typeof p !== 'object') return '';
  const out: string[] = [];
  for (const [k, v] of Object.entries(p as Record<string, unknown>)) {
    switch (k) {
      case 'name': out.push(`snapshot "${String(v)}"`); break;
      case 'timeoutSeconds': out.push(`timeout ${fmtDuration(Number(v))}`); break;
      case 'forceStop': out.push(v ? 'force stop after timeout' : 'no forced stop'); break;
      case 'includeRam': out.push(v ? 'with RAM' : 'without RAM'); break;
      case 'start': out.push(v ? 'start after' : 'stay stopped'); break;
      case 'toDisk': out.push(v ? 'to disk' : 'to RAM'); break;
      case 'target': out.push(`to node ${String(v)}`); break;
      case 'online': out.push(v ? 'online' : 'offline'); break;
      case 'description': {
        const d = String(v);
        out.push(`description "${d.length > 40 ? `${d.slice(0, 39)}…` : d}"`);
        break;
      }
      default: out.push(`${k} ${typeof v === 'string' ? v : JSON.stringify(v)}`);
    }
  }
  return out.join(', ');
}

const UPID_RE = /UPID:[^\s,;()]+/;

/** The message without its UPID ("(UPID: …)", "UPID: …" or a bare UPID), and the UPID found or stored. */
export function splitUpid(message: string, stored: string | null | undefined): { message: string; upid: string } {
  const found = UPID_RE.exec(message)?.[0]?.replace(/:$/, '') ?? '';
  const text = found
    ? message
      .replace(/\s*\((?:UPID: )?UPID:[^\s,;()]+\)/g, '')
      .replace(/(?:UPID: )?UPID:[^\s,;()]+/g, '')
      .replace(/\s{2,}/g, ' ')
      .replace(/^[:;,\s]+/, '')
      .trim()
    : message.trim();
  return { message: text, upid: stored || found };
}

/** How long the action ran: from the Proxmox call (or receipt) to its end; running ones so far. */
export function actionDuration(a: Pick<ActionRow, 'received_at' | 'finished_at' | 'posted_at' | 'task_ended_at'>, now: number): { text: string; v: number } {
  const from = a.posted_at ?? a.received_at;
  const to = a.finished_at ?? null;
  if (to === null) return a.posted_at ? { text: `${fmtDuration(now - from)} so far`, v: now - from } : { text: '–', v: -1 };
  return { text: fmtDuration(Math.max(0, to - from)), v: Math.max(0, to - from) };
}

/** The short form of a UPID shown in tables: node and task type ("pve1 qmshutdown"), full one in the title. */
export function upidShort(upid: string): string {
  const p = upid.split(':');
  return p.length >= 7 ? `${p[1]} ${p[5]}${p[6] ? ` ${p[6]}` : ''}` : upid.slice(0, 24);
}
