// Snapshots (pve-api.md §6.4): create, roll back and delete run as tasks; the list is in node-routes.ts.
import { boolParam, die500, requireParam } from '../http-error.ts';
import { startProcess, stopProcess } from '../guest-state.ts';
import type { Route, RouteContext } from '../router.ts';
import type { GuestType } from '../types.ts';
import { begin, checkLock, nodeOf, run } from './guest-call.ts';
import { quorate } from './lookup.ts';

function snapshotCreate(type: GuestType) {
  return (ctx: RouteContext): string => {
    const c = begin(ctx, type, 'VM.Snapshot');
    const { g } = c;
    const name = requireParam(ctx.args, 'snapname');
    if (!quorate(ctx)) throw die500('cluster not ready - no quorum?');
    checkLock(c, false);
    const vmstate = type === 'qemu' && boolParam(ctx.args, 'vmstate') && g.status === 'running';
    const exists = g.snapshots.some((s) => s.name === name);
    g.lock = 'snapshot';
    return run(c, {
      type: type === 'qemu' ? 'qmsnapshot' : 'vzsnapshot',
      seconds: vmstate ? [8, 15] : [3, 6],
      ...(exists ? { error: `snapshot name '${name}' already used` } : {}),
      log: vmstate ? ['saving VM state and RAM using storage \'local-lvm\''] : [],
      cleanup: () => {
        if (g.lock === 'snapshot') delete g.lock;
      },
      effect: (t) => {
        const parent = g.snapshots.at(-1)?.name;
        g.snapshots.push({ name, description: ctx.args.description ?? '', snaptime: Math.floor(t), ...(parent ? { parent } : {}), ...(type === 'qemu' ? { vmstate: vmstate ? 1 : 0 } : {}) });
      },
    });
  };
}

function snapshotRollback(type: GuestType) {
  return (ctx: RouteContext): string => {
    const c = begin(ctx, type, 'VM.Snapshot.Rollback');
    const { g } = c;
    const name = ctx.params.snapname ?? '';
    if (!quorate(ctx)) throw die500('cluster not ready - no quorum?');
    checkLock(c, false);
    const snap = g.snapshots.find((s) => s.name === name);
    const startAfter = boolParam(ctx.args, 'start');
    g.lock = 'rollback';
    return run(c, {
      type: type === 'qemu' ? 'qmrollback' : 'vzrollback',
      seconds: [3, 6],
      ...(snap ? {} : { error: `snapshot '${name}' does not exist` }),
      cleanup: () => {
        if (g.lock === 'rollback') delete g.lock;
      },
      effect: (t) => {
        if (g.status === 'running') stopProcess(g, t);
        if (snap?.vmstate === 1 || startAfter) startProcess(g, t, nodeOf(c));
        // Snapshots taken after the rollback target stay, as in Proxmox; `current` now hangs off it.
        const i = g.snapshots.indexOf(snap!);
        if (i !== -1) g.snapshots.push(...g.snapshots.splice(i, 1));
      },
    });
  };
}

function snapshotDelete(type: GuestType) {
  return (ctx: RouteContext): string => {
    const c = begin(ctx, type, 'VM.Snapshot');
    const { g } = c;
    const name = ctx.params.snapname ?? '';
    checkLock(c, false);
    const snap = g.snapshots.find((s) => s.name === name);
    return run(c, {
      type: type === 'qemu' ? 'qmdelsnapshot' : 'vzdelsnapshot',
      seconds: [2, 4],
      ...(snap ? {} : { error: `snapshot '${name}' does not exist` }),
      effect: () => {
        const i = g.snapshots.findIndex((s) => s.name === name);
        if (i === -1) return;
        const [removed] = g.snapshots.splice(i, 1);
        for (const s of g.snapshots) if (s.parent === name) s.parent = removed?.parent;
      },
    });
  };
}

/** Routes of the snapshot calls. */
export const snapshotRoutes: Route[] = (['qemu', 'lxc'] as const).flatMap((type): Route[] => [
  { method: 'POST', template: `/nodes/{node}/${type}/{vmid}/snapshot`, proxied: true, handle: snapshotCreate(type) },
  { method: 'POST', template: `/nodes/{node}/${type}/{vmid}/snapshot/{snapname}/rollback`, proxied: true, handle: snapshotRollback(type) },
  { method: 'DELETE', template: `/nodes/{node}/${type}/{vmid}/snapshot/{snapname}`, proxied: true, handle: snapshotDelete(type) },
]);
