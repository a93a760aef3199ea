// Guest state transitions shared by the task engine and the HA simulation. Each keeps the
// counter bookkeeping right: counters accumulate only while running, reset on a new process.
import { guestCounters } from './metrics-model.ts';
import type { SimGuest, SimNode } from './types.ts';

function record(g: SimGuest, tSec: number, running: boolean): void {
  g.history.push([tSec, running]);
  if (g.history.length > 200) g.history.splice(0, g.history.length - 200);
}

/** A new guest process starts at tSec (start, reboot, migration): uptime and counters reset. */
export function startProcess(g: SimGuest, tSec: number, node: SimNode): void {
  g.status = 'running';
  g.qmpstatus = 'running';
  g.startedAt = tSec;
  g.pid = node.nextPid++;
  g.counters = { carry: [0, 0, 0, 0], segStart: tSec };
  if (g.lock === 'suspended') delete g.lock;
  record(g, tSec, true);
}

/** The guest process ends at tSec. */
export function stopProcess(g: SimGuest, tSec: number): void {
  g.status = 'stopped';
  g.qmpstatus = 'stopped';
  g.startedAt = null;
  g.pid = null;
  g.counters = { carry: [0, 0, 0, 0], segStart: null };
  record(g, tSec, false);
}

/** QEMU pause (suspend to RAM): the process stays, counters freeze. */
export function pauseGuest(g: SimGuest, tSec: number): void {
  g.counters = { carry: guestCounters(g, tSec), segStart: null };
  g.qmpstatus = 'paused';
}

/** Resume from pause: counters continue from where they froze. */
export function resumeGuest(g: SimGuest, tSec: number): void {
  g.qmpstatus = 'running';
  g.counters = { carry: g.counters.carry, segStart: tSec };
}

/** Whether the guest was running at tSec, from its transition history (before the first entry: its first state). */
export function wasRunning(g: SimGuest, tSec: number): boolean {
  const h = g.history;
  if (h.length === 0) return g.status === 'running';
  let state = h[0]![1];
  for (const [t, running] of h) {
    if (t > tSec) break;
    state = running;
  }
  return state;
}
