// Power actions (pve-api.md §6.1, §6.2): pre-checks fail synchronously with 500; the rest runs as
// a task whose effect changes the guest when it ends.
import { boolParam, die500, intParam } from '../http-error.ts';
import { pauseGuest, resumeGuest, startProcess, stopProcess } from '../guest-state.ts';
import type { Route, RouteContext } from '../router.ts';
import type { GuestType } from '../types.ts';
import { begin, checkLock, haRequest, nodeOf, run } from './guest-call.ts';
import { quorate } from './lookup.ts';

type Action = 'start' | 'stop' | 'shutdown' | 'reboot' | 'reset' | 'suspend' | 'resume';

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

const ACTIONS: Record<GuestType, Action[]> = {
  qemu: ['start', 'stop', 'shutdown', 'reboot', 'reset', 'suspend', 'resume'],
  lxc: ['start', 'stop', 'shutdown', 'reboot', 'suspend', 'resume'],
};

/** Routes of the power actions. */
export const powerRoutes: Route[] = (['qemu', 'lxc'] as const).flatMap((type): Route[] =>
  ACTIONS[type].map((action): Route => ({ method: 'POST', template: `/nodes/{node}/${type}/{vmid}/status/${action}`, proxied: true, handle: type === 'qemu' ? qemuAction(action) : lxcAction(action) })),
);
