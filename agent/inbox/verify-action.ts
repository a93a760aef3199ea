// Pure: has the guest reached the state an action wants? (issue 5 §5 verification list)
import type { ActionName } from '../config/config.schema.ts';
import type { ActionRequest } from './action-request.schema.ts';
import type { GuestType } from './action-calls.ts';
import type { Observation } from './guest-state.ts';

export interface Verification {
  ok: boolean;
  expected: string;
  observed: string;
}

export interface VerifyContext {
  /** Epoch seconds when the (last) POST was sent: a rebooted guest's uptime is below now − this. */
  postedAtSec: number;
  nowSec: number;
  /** Uptime before the action when it was read (not after a crash). */
  uptimeBefore?: number;
}

/** What must be fetched to verify an action. */
export function observationNeeds(action: ActionName): { current: boolean; snapshots: boolean } {
  switch (action) {
    case 'snapshot':
    case 'delete-snapshot':
      return { current: false, snapshots: true };
    case 'rollback':
      return { current: true, snapshots: true };
    case 'migrate':
      return { current: false, snapshots: false };
    case 'start':
    case 'shutdown':
    case 'stop':
    case 'reboot':
    case 'reset':
    case 'suspend':
    case 'resume':
      return { current: true, snapshots: false };
  }
}

function describe(obs: Observation): string {
  const c = obs.current;
  const parts = [`node ${obs.owner?.node ?? '?'}`];
  if (c) {
    parts.push(`status ${c.status ?? '?'}`);
    if (c.qmpstatus !== undefined) parts.push(`qmpstatus ${c.qmpstatus}`);
    if (c.uptime !== undefined) parts.push(`uptime ${c.uptime}s`);
    if (c.lock) parts.push(`lock ${c.lock}`);
  } else if (obs.owner?.status) parts.push(`status ${obs.owner.status}`);
  if (obs.owner?.hastate) parts.push(`hastate ${obs.owner.hastate}`);
  if (obs.snapshots) parts.push(`snapshots [${obs.snapshots.filter((s) => s.name !== 'current').map((s) => s.name).join(', ')}]`);
  return parts.join(', ');
}

/** Checks an observation against the state the request wants. */
export function verifyAction(req: ActionRequest, type: GuestType, obs: Observation, ctx: VerifyContext): Verification {
  const c = obs.current;
  const observed = describe(obs);
  const running = c?.status === 'running' && (type === 'lxc' || c.qmpstatus === undefined || c.qmpstatus === 'running');
  const stopped = c?.status === 'stopped';
  const v = (ok: boolean, expected: string): Verification => ({ ok, expected, observed });
  switch (req.action) {
    case 'start':
    case 'resume':
      return v(running, type === 'qemu' ? 'status running, qmpstatus running' : 'status running');
    case 'reset':
      return v(running, 'status running');
    case 'shutdown':
    case 'stop':
      return v(stopped, 'status stopped');
    case 'reboot': {
      const since = ctx.nowSec - ctx.postedAtSec + 2;
      const up = c?.uptime;
      const fresh = up !== undefined && up <= since && (ctx.uptimeBefore === undefined || up < ctx.uptimeBefore);
      return v(running && fresh, `status running with uptime reset (≤ ${since}s${ctx.uptimeBefore !== undefined ? `, below ${ctx.uptimeBefore}s before` : ''})`);
    }
    case 'suspend':
      if (type === 'lxc') return v(stopped || c?.status === 'suspended', 'status stopped (CRIU checkpoint)');
      if (req.params?.toDisk) return v(stopped && (c?.lock === 'suspended' || c?.lock === undefined), 'status stopped, lock suspended (hibernated)');
      return v(c?.status === 'running' && (c.qmpstatus === 'paused' || c.qmpstatus === 'suspended'), 'qmpstatus paused');
    case 'snapshot': {
      const s = obs.snapshots?.find((x) => x.name === req.params.name);
      return v(Boolean(s) && !s?.snapstate, `snapshot "${req.params.name}" listed`);
    }
    case 'delete-snapshot':
      return v(obs.snapshots !== undefined && !obs.snapshots.some((x) => x.name === req.params.name), `snapshot "${req.params.name}" gone`);
    case 'rollback': {
      const listed = obs.snapshots?.some((x) => x.name === req.params.name) ?? false;
      const cur = obs.snapshots?.find((x) => x.name === 'current');
      const parentOk = cur?.parent === undefined || cur.parent === req.params.name;
      const startOk = !req.params.start || running;
      return v(listed && parentOk && startOk, `snapshot "${req.params.name}" listed and current state based on it${req.params.start ? ', status running' : ''}`);
    }
    case 'migrate':
      return v(obs.owner?.node === req.params.target, `owner node ${req.params.target}`);
  }
}
