// After an interrupted POST: did Proxmox start the task anyway? (pve-api.md §7.4)
import type { PveClient } from '../pve/pve-client.types.ts';

export interface TaskListEntry {
  upid: string;
  type: string;
  id?: string;
  starttime: number;
  status?: string;
  endtime?: number;
}

/**
 * The earliest task on `node` for this guest of one of `types` that started at or after
 * `sinceSec` (running tasks included: source=all), or undefined.
 */
export async function findMatchingTask(client: PveClient, node: string, vmid: number, types: readonly string[], sinceSec: number): Promise<TaskListEntry | undefined> {
  const list = await client.get<TaskListEntry[]>(
    `/nodes/${encodeURIComponent(node)}/tasks`,
    { vmid, since: sinceSec, source: 'all', limit: 500 },
    { retries: 0 },
  );
  return (Array.isArray(list) ? list : [])
    .map((t) => ({ ...t, starttime: Number(t.starttime) }))
    .filter((t) => types.includes(t.type) && t.starttime >= sinceSec && (t.id === undefined || t.id === '' || String(t.id) === String(vmid)))
    .sort((a, b) => a.starttime - b.starttime)[0];
}
