// Shared steps of every guest-changing call: privilege and ownership checks, lock checks,
// starting the task, and the HA request path (pve-api.md §6, §6.3).
import { die500, paramError } from '../http-error.ts';
import { startProcess, stopProcess } from '../guest-state.ts';
import { requirePriv } from '../permissions.ts';
import type { RouteContext } from '../router.ts';
import { startTask, type TaskSpec } from '../tasks.ts';
import type { GuestType, SimGuest, SimNode } from '../types.ts';
import { guestOrThrow, nodeOrThrow } from './lookup.ts';

/** What a guest-changing handler works on. */
export interface Ctx {
  ctx: RouteContext;
  g: SimGuest;
  node: SimNode;
  label: string;
}

/** Privilege, skiplock and owner checks; the guest and node of the URL. */
export function begin(ctx: RouteContext, type: GuestType, priv: string): Ctx {
  requirePriv(ctx.world.privileges, `/vms/${ctx.params.vmid}`, priv);
  if (ctx.args.skiplock !== undefined && ctx.authUser !== 'root@pam') throw paramError({ skiplock: 'Only root may use this option.' });
  const g = guestOrThrow(ctx, type);
  const node = nodeOrThrow(ctx);
  return { ctx, g, node, label: type === 'qemu' ? 'VM' : 'CT' };
}

/** Starts the guest's task; returns its UPID. */
export function run(c: Ctx, spec: Omit<TaskSpec, 'node' | 'id' | 'vmid'>): string {
  return startTask(c.ctx.world, c.ctx.cluster, c.ctx.authUser, { ...spec, node: c.node, id: String(c.g.vmid), vmid: c.g.vmid }).upid;
}

/** 500 "<VM|CT> is locked (<lock>)". */
export function checkLock(c: Ctx, allowSuspended: boolean): void {
  const lock = c.g.lock;
  if (lock && !(allowSuspended && lock === 'suspended')) throw die500(`${c.label} is locked (${lock})`);
}

/** The guest's current node. */
export function nodeOf(c: Ctx): SimNode {
  return c.ctx.cluster.nodes.find((n) => n.name === c.g.node)!;
}

/** HA-managed guests: the task only asks the HA stack; the state follows a few seconds later (§6.3). */
export function haRequest(c: Ctx, want: 'started' | 'stopped'): string {
  const { ctx, g } = c;
  const scale = ctx.world.taskTimeScale;
  return run(c, {
    type: want === 'started' ? 'hastart' : 'hastop',
    seconds: [0.5, 1],
    log: [want === 'started' ? `Requesting HA start for ${c.label} ${g.vmid}` : `Requesting HA stop for ${c.label} ${g.vmid}`],
    effect: (endSec) => {
      g.hastate = want === 'started' ? 'started' : 'request_stop';
      ctx.cluster.pending.push({
        atMs: endSec * 1000 + (3000 + 3000 * ((g.key % 100) / 100)) * scale,
        run: () => {
          const t = ctx.world.now() / 1000;
          if (want === 'started' && g.status !== 'running') startProcess(g, t, nodeOf(c));
          if (want === 'stopped' && g.status === 'running') stopProcess(g, t);
          g.hastate = want;
        },
      });
    },
  });
}
