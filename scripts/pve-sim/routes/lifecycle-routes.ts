// Lifecycle POSTs (pve-api.md §6): pre-checks fail synchronously with 500; the rest runs as a
// task whose UPID the POST returns; the task's effect changes the guest when it ends.
import { boolParam, die500, intParam, paramError, requireParam } from '../http-error.ts';
import { pauseGuest, resumeGuest, startProcess, stopProcess } from '../guest-state.ts';
import type { Route, RouteContext } from '../router.ts';
import { startTask, type TaskSpec } from '../tasks.ts';
import type { GuestType, SimGuest, SimNode } from '../types.ts';
import { requirePriv } from '../permissions.ts';
import { guestOrThrow, nodeOrThrow, quorate } from './lookup.ts';

type Action = 'start' | 'stop' | 'shutdown' | 'reboot' | 'reset' | 'suspend' | 'resume';

interface Ctx {
  ctx: RouteContext;
  g: SimGuest;
  node: SimNode;
  label: string;
}

function begin(ctx: RouteContext, type: GuestType, priv: string): Ctx {
  requirePriv(ctx.world.privileges, `/vms/${ctx.params.vmid}`, priv);
  if (ctx.args.skiplock !== undefined && ctx.authUser !== 'root@pam') throw paramError({ skiplock: 'Only root may use this option.' });
  const g = guestOrThrow(ctx, type);
  const node = nodeOrThrow(ctx);
  return { ctx, g, node, label: type === 'qemu' ? 'VM' : 'CT' };
}

function run(c: Ctx, spec: Omit<TaskSpec, 'node' | 'id' | 'vmid'>): string {
  return startTask(c.ctx.world, c.ctx.cluster, c.ctx.authUser, { ...spec, node: c.node, id: String(c.g.vmid), vmid: c.g.vmid }).upid;
}

function checkLock(c: Ctx, allowSuspended: boolean): void {
  const lock = c.g.lock;
  if (lock && !(allowSuspended && lock === 'suspended')) throw die500(`${c.label} is locked (${lock})`);
}

function nodeOf(c: Ctx): SimNode {
  return c.ctx.cluster.nodes.find((n) => n.name === c.g.node)!;
}

/** HA-managed guests: the task only asks the HA stack; the state follows a few seconds later (§6.3). */
function haRequest(c: Ctx, want: 'started' | 'stopped'): string {
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

function qemuAction(action: Action) {
  return (ctx: RouteContext): string => {
    const c = begin(ctx, 'qemu', 'VM.PowerMgmt');
    const { g } = c;
    const a = ctx.args;
    const running = g.status === 'running';
    const ha = g.hastate !== undefined;
    const vm = `VM ${g.vmid}`;
    switch (action) {
      case 'start': {
        if (!quorate(ctx)) throw die500('cluster not ready - no quorum?');
        if (g.template) throw die500("you can't start a vm if it's a template");
        checkLock(c, true);
        if (ha) return haRequest(c, 'started');
        const resume = g.lock === 'suspended';
        return run(c, {
          type: 'qmstart',
          seconds: [2, 4],
          ...(running ? { error: `${vm} already running` } : {}),
          log: resume ? [`resuming suspended ${vm}`] : [],
          effect: (t) => startProcess(g, t, nodeOf(c)),
        });
      }
      case 'stop':
        checkLock(c, false);
        if (ha) return haRequest(c, 'stopped');
        return run(c, { type: 'qmstop', seconds: [1, 2], effect: (t) => running && stopProcess(g, t) });
      case 'shutdown': {
        checkLock(c, false);
        const forceStop = boolParam(a, 'forceStop');
        if (running && g.qmpstatus === 'paused' && !forceStop) throw die500('VM is paused - cannot shutdown');
        if (ha) return haRequest(c, 'stopped');
        if (!running) return run(c, { type: 'qmshutdown', seconds: [0.3, 0.6] });
        if (g.ignoresAcpi) {
          const timeout = intParam(a, 'timeout', 60);
          return run(c, {
            type: 'qmshutdown',
            seconds: [timeout, timeout],
            ...(forceStop ? {} : { error: 'VM quit/powerdown failed - got timeout' }),
            log: forceStop ? ['VM still running - terminating now with SIGTERM'] : [],
            effect: (t) => stopProcess(g, t),
          });
        }
        return run(c, { type: 'qmshutdown', seconds: [5, 10], effect: (t) => stopProcess(g, t) });
      }
      case 'reboot':
        checkLock(c, false);
        if (!running) throw die500(`${vm} not running`);
        return run(c, {
          type: 'qmreboot',
          seconds: [8, 14],
          ...(g.ignoresAcpi ? { error: 'VM quit/powerdown failed - got timeout' } : {}),
          effect: (t) => startProcess(g, t, nodeOf(c)),
        });
      case 'reset':
        checkLock(c, false);
        if (!running) throw die500(`${vm} not running`);
        return run(c, { type: 'qmreset', seconds: [0.5, 1] });
      case 'suspend': {
        checkLock(c, false);
        if (!running) throw die500(`${vm} not running`);
        if (boolParam(a, 'todisk')) {
          if (ha) throw die500('Cannot suspend HA managed VM to disk');
          g.lock = 'suspending';
          return run(c, {
            type: 'qmsuspend',
            seconds: [4, 8],
            cleanup: () => {
              if (g.lock === 'suspending') delete g.lock;
            },
            effect: (t) => {
              stopProcess(g, t);
              g.lock = 'suspended';
            },
          });
        }
        return run(c, { type: 'qmpause', seconds: [0.5, 1], effect: (t) => g.qmpstatus === 'running' && pauseGuest(g, t) });
      }
      case 'resume':
        checkLock(c, false);
        if (!running) throw die500(`${vm} not running`);
        return run(c, { type: 'qmresume', seconds: [0.5, 1], effect: (t) => g.qmpstatus !== 'running' && resumeGuest(g, t) });
    }
  };
}

function lxcAction(action: Action) {
  return (ctx: RouteContext): string => {
    const c = begin(ctx, 'lxc', 'VM.PowerMgmt');
    const { g } = c;
    const running = g.status === 'running';
    const ha = g.hastate !== undefined;
    const ct = `CT ${g.vmid}`;
    const needRunning = () => {
      if (!running) throw die500(`${ct} not running`);
    };
    switch (action) {
      case 'start':
        if (!quorate(ctx)) throw die500('cluster not ready - no quorum?');
        if (running) throw die500(`${ct} already running`);
        checkLock(c, false);
        if (ha) return haRequest(c, 'started');
        return run(c, { type: 'vzstart', seconds: [2, 4], effect: (t) => startProcess(g, t, nodeOf(c)) });
      case 'stop':
        needRunning();
        checkLock(c, false);
        if (ha) return haRequest(c, 'stopped');
        return run(c, { type: 'vzstop', seconds: [1, 2], effect: (t) => stopProcess(g, t) });
      case 'shutdown':
        needRunning();
        checkLock(c, false);
        if (ha) return haRequest(c, 'stopped');
        return run(c, { type: 'vzshutdown', seconds: [5, 10], effect: (t) => stopProcess(g, t) });
      case 'reboot':
        needRunning();
        checkLock(c, false);
        return run(c, { type: 'vzreboot', seconds: [6, 10], effect: (t) => startProcess(g, t, nodeOf(c)) });
      case 'suspend':
        needRunning();
        checkLock(c, false);
        return run(c, { type: 'vzsuspend', seconds: [3, 6], effect: (t) => stopProcess(g, t) });
      case 'resume':
        if (running) throw die500(`${ct} already running`);
        checkLock(c, false);
        return run(c, { type: 'vzresume', seconds: [2, 4], effect: (t) => startProcess(g, t, nodeOf(c)) });
      case 'reset':
        throw die500('not implemented');
    }
  };
}

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

function migrate(type: GuestType) {
  return (ctx: RouteContext): string => {
    const c = begin(ctx, type, 'VM.Migrate');
    const { g } = c;
    const target = requireParam(ctx.args, 'target');
    if (!quorate(ctx)) throw die500('cluster not ready - no quorum?');
    const dest = ctx.cluster.nodes.find((n) => n.name === target);
    if (!dest) throw die500(`no such cluster node '${target}'`);
    if (dest.name === g.node) throw die500('target is local node.');
    checkLock(c, false);
    const online = boolParam(ctx.args, 'online');
    const restart = boolParam(ctx.args, 'restart');
    const running = g.status === 'running';
    if (type === 'qemu' && running && !online) throw die500("can't migrate running VM without --online");
    if (type === 'lxc' && running && !restart) throw die500(online ? 'lxc live migration is currently not implemented' : "can't migrate running container without --online or --restart");
    const move = (t: number) => {
      g.node = dest.name;
      if (g.status === 'running') startProcess(g, t, dest);
    };
    const error = dest.offlineSince !== null ? 'migration aborted' : undefined;
    if (g.hastate !== undefined) {
      const scale = ctx.world.taskTimeScale;
      return run(c, {
        type: 'hamigrate',
        seconds: [0.5, 1],
        ...(error ? { error } : {}),
        effect: (endSec) => {
          g.hastate = 'migrate';
          ctx.cluster.pending.push({
            atMs: endSec * 1000 + 12_000 * scale,
            run: () => {
              move(ctx.world.now() / 1000);
              g.hastate = 'started';
            },
          });
        },
      });
    }
    g.lock = 'migrate';
    return run(c, {
      type: type === 'qemu' ? 'qmigrate' : 'vzmigrate',
      seconds: [10, 20],
      ...(error ? { error } : {}),
      log: [`starting migration of ${c.label} ${g.vmid} to node '${dest.name}' (${dest.ip})`],
      cleanup: () => {
        if (g.lock === 'migrate') delete g.lock;
      },
      effect: move,
    });
  };
}

const ACTIONS: Record<GuestType, Action[]> = {
  qemu: ['start', 'stop', 'shutdown', 'reboot', 'reset', 'suspend', 'resume'],
  lxc: ['start', 'stop', 'shutdown', 'reboot', 'suspend', 'resume'],
};

/** Routes of the lifecycle, snapshot and migrate calls. */
export const lifecycleRoutes: Route[] = (['qemu', 'lxc'] as const).flatMap((type): Route[] => [
  ...ACTIONS[type].map((action): Route => ({ method: 'POST', template: `/nodes/{node}/${type}/{vmid}/status/${action}`, proxied: true, handle: type === 'qemu' ? qemuAction(action) : lxcAction(action) })),
  { method: 'POST', template: `/nodes/{node}/${type}/{vmid}/snapshot`, proxied: true, handle: snapshotCreate(type) },
  { method: 'POST', template: `/nodes/{node}/${type}/{vmid}/snapshot/{snapname}/rollback`, proxied: true, handle: snapshotRollback(type) },
  { method: 'DELETE', template: `/nodes/{node}/${type}/{vmid}/snapshot/{snapname}`, proxied: true, handle: snapshotDelete(type) },
  { method: 'POST', template: `/nodes/{node}/${type}/{vmid}/migrate`, proxied: true, handle: migrate(type) },
]);
