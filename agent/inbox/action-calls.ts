// Pure: which Proxmox call carries out a request (pve-api.md §6), and which task types it creates.
import type { Query } from '../pve/pve-client.types.ts';
import type { ActionRequest } from './action-request.schema.ts';

export type GuestType = 'qemu' | 'lxc';

export interface ActionCall {
  method: 'POST' | 'DELETE';
  path: string;
  params: Query;
  /** Task types the call may create (the HA variant included), to find it in a node's task list. */
  taskTypes: string[];
}

const b = (v: boolean | undefined): 0 | 1 | undefined => (v === undefined ? undefined : v ? 1 : 0);

/** Reason a request cannot be run on a guest of this type, or undefined when it can. */
export function unsupportedReason(req: ActionRequest, type: GuestType): string | undefined {
  if (type === 'lxc' && req.action === 'reset') return 'reset exists only for QEMU VMs; this guest is a container (lxc)';
  if (type === 'lxc' && req.action === 'suspend' && req.params?.toDisk) return 'suspend to disk (toDisk) exists only for QEMU VMs';
  return undefined;
}

/**
 * Maps a request to its call. LXC migrate of a running container: Proxmox refuses it without
 * `online` or `restart`, and containers cannot live-migrate, so `online: true` is sent as
 * `restart=1` (a restart migration: the CT stops, moves and starts again).
 */
export function actionCall(req: ActionRequest, type: GuestType, node: string): ActionCall {
  const base = `/nodes/${encodeURIComponent(node)}/${type}/${req.vmid}`;
  const q = type === 'qemu';
  switch (req.action) {
    case 'start':
      return { method: 'POST', path: `${base}/status/start`, params: {}, taskTypes: [q ? 'qmstart' : 'vzstart', 'hastart'] };
    case 'stop':
      return { method: 'POST', path: `${base}/status/stop`, params: {}, taskTypes: [q ? 'qmstop' : 'vzstop', 'hastop'] };
    case 'shutdown':
      return {
        method: 'POST',
        path: `${base}/status/shutdown`,
        params: { timeout: req.params?.timeoutSeconds, forceStop: b(req.params?.forceStop) },
        taskTypes: [q ? 'qmshutdown' : 'vzshutdown', 'hastop'],
      };
    case 'reboot':
      return { method: 'POST', path: `${base}/status/reboot`, params: { timeout: req.params?.timeoutSeconds }, taskTypes: [q ? 'qmreboot' : 'vzreboot'] };
    case 'reset':
      return { method: 'POST', path: `${base}/status/reset`, params: {}, taskTypes: ['qmreset'] };
    case 'suspend':
      return q
        ? { method: 'POST', path: `${base}/status/suspend`, params: { todisk: b(req.params?.toDisk) }, taskTypes: req.params?.toDisk ? ['qmsuspend'] : ['qmpause'] }
        : { method: 'POST', path: `${base}/status/suspend`, params: {}, taskTypes: ['vzsuspend'] };
    case 'resume':
      return { method: 'POST', path: `${base}/status/resume`, params: {}, taskTypes: [q ? 'qmresume' : 'vzresume'] };
    case 'snapshot':
      return {
        method: 'POST',
        path: `${base}/snapshot`,
        params: { snapname: req.params.name, description: req.params.description, vmstate: q ? b(req.params.includeRam) : undefined },
        taskTypes: [q ? 'qmsnapshot' : 'vzsnapshot'],
      };
    case 'rollback':
      return {
        method: 'POST',
        path: `${base}/snapshot/${encodeURIComponent(req.params.name)}/rollback`,
        params: { start: b(req.params.start) },
        taskTypes: [q ? 'qmrollback' : 'vzrollback'],
      };
    case 'delete-snapshot':
      return { method: 'DELETE', path: `${base}/snapshot/${encodeURIComponent(req.params.name)}`, params: {}, taskTypes: [q ? 'qmdelsnapshot' : 'vzdelsnapshot'] };
    case 'migrate':
      return {
        method: 'POST',
        path: `${base}/migrate`,
        params: q ? { target: req.params.target, online: b(req.params.online) } : { target: req.params.target, restart: req.params.online ? 1 : undefined },
        taskTypes: [q ? 'qmigrate' : 'vzmigrate', 'hamigrate'],
      };
  }
}

/** Strips undefined values so they are not sent as empty parameters. */
export function definedParams(p: Query): Query {
  return Object.fromEntries(Object.entries(p).filter(([, v]) => v !== undefined));
}
