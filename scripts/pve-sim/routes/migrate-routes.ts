// Migration (pve-api.md §6.5): the guest moves to the target node when the task ends; a running
// guest gets a new process there (uptime and counters reset). HA guests go through hamigrate.
import { boolParam, die500, requireParam } from '../http-error.ts';
import { startProcess } from '../guest-state.ts';
import type { Route, RouteContext } from '../router.ts';
import type { GuestType } from '../types.ts';
import { begin, checkLock, run } from './guest-call.ts';
import { quorate } from './lookup.ts';

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

/** Routes of the migrate calls. */
export const migrateRoutes: Route[] = (['qemu', 'lxc'] as const).map((type): Route => ({ method: 'POST', template: `/nodes/{node}/${type}/{vmid}/migrate`, proxied: true, handle: migrate(type) }));
