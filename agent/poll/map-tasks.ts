// GET /cluster/tasks entries → TaskRecord (pve-api.md §7.1, §7.5). Pure.
import type { TaskRecord } from './cluster-snapshot.ts';
import type { TaskItem } from '../pve/pve-schemas.ts';
import { parseUpid } from '../pve/upid.ts';

/** OK and "WARNINGS: n" succeeded; RUNNING or no status yet → null; any other text is a failure (§7.2). */
export function taskOk(status: string | undefined): boolean | null {
  if (status === undefined || status === '' || status === 'RUNNING') return null;
  return status === 'OK' || /^WARNINGS: \d+$/.test(status);
}

/** Maps one task; undefined when its UPID cannot be decoded and the entry lacks node/starttime. */
export function mapTask(t: TaskItem): TaskRecord | undefined {
  const u = parseUpid(t.upid);
  const node = t.node ?? u?.node;
  const starttime = t.starttime ?? u?.starttime;
  const type = t.type ?? u?.type;
  if (!node || starttime === undefined || !type) return undefined;
  const objectId = t.id ?? u?.id ?? '';
  let user = t.user ?? u?.user ?? null;
  let tokenid = t.tokenid ?? u?.tokenid ?? null;
  if (user && user.includes('!') && !tokenid) [user, tokenid] = [user.slice(0, user.indexOf('!')), user.slice(user.indexOf('!') + 1)];
  const status = t.status && t.status !== '' ? t.status : null;
  return {
    upid: t.upid,
    node,
    type,
    objectId: objectId === '' ? null : objectId,
    vmid: /^\d+$/.test(objectId) ? Number(objectId) : null,
    user,
    tokenid,
    starttime,
    endtime: t.endtime ?? null,
    status,
    ok: taskOk(t.status),
  };
}
