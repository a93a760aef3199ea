// Pure (issue 14 item 6): the readable details of tasks and actions — an action's parameters,
// its duration, its message with the Proxmox UPID taken out (a UPID at the start of a message
// pushed the table off screen), and the names of the guests they concern.
import { clip, fmtDuration } from './format.ts';
import type { ActionRow } from '../store/site-activity.repository.ts';

/** Key `${cluster}/${vmid}` → guest name, for task and action rows. */
export type GuestNames = Map<string, string>;

/** How each known action parameter reads in a table. */
const PARAM_TEXT: Record<string, (v: unknown) => string> = {
  name: (v) => `snapshot "${String(v)}"`,
  timeoutSeconds: (v) => `timeout ${fmtDuration(Number(v))}`,
  forceStop: (v) => (v ? 'force stop after timeout' : 'no forced stop'),
  includeRam: (v) => (v ? 'with RAM' : 'without RAM'),
  start: (v) => (v ? 'start after' : 'stay stopped'),
  toDisk: (v) => (v ? 'to disk' : 'to RAM'),
  target: (v) => `to node ${String(v)}`,
  online: (v) => (v ? 'online' : 'offline'),
  description: (v) => `description "${clip(String(v), 40)}"`,
};

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
  return Object.entries(p as Record<string, unknown>)
    .map(([k, v]) => (Object.hasOwn(PARAM_TEXT, k) ? PARAM_TEXT[k]!(v) : `${k} ${typeof v === 'string' ? v : JSON.stringify(v)}`))
    .join(', ');
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
