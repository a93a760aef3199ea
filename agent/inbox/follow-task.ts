// Follows a Proxmox task by its UPID until it stops (pve-api.md §7.2).
import { PmiError } from '../errors.ts';
import type { PveClient } from '../pve/pve-client.types.ts';
import { parseUpid } from '../pve/upid.ts';
import { isTransient } from './transient.ts';

export interface FollowDeps {
  client: PveClient;
  now: () => number;
  sleep: (ms: number) => Promise<void>;
  /** Time between status polls (~1 s in production, shorter in tests). */
  intervalMs: number;
  timeoutMs: number;
  /** Checked between polls so stop() can abandon the wait (the row keeps the UPID to resume). */
  stopped?: () => boolean;
  /**
   * Called after every status poll has returned (whatever it said), before its answer is acted
   * on: the point where the task is being followed, reached on every path — also when the task
   * has already ended by the first poll and no sleep ever happens.
   */
  polled?: (polls: number) => void | Promise<void>;
}

export type TaskEnd =
  | { kind: 'stopped'; exitstatus: string; endedAtMs: number; polls: number }
  | { kind: 'timeout'; polls: number; lastError?: string }
  | { kind: 'abandoned'; polls: number };

interface TaskStatus {
  status?: string;
  exitstatus?: string;
}

/**
 * Delay before poll number `polls + 1`: quick at first (100, 200, 400 ms …) so short tasks are
 * seen ending promptly, then every `intervalMs` (~1 s) like proxmoxer's blocking_status.
 */
export function pollDelayMs(polls: number, intervalMs: number): number {
  return Math.min(intervalMs, Math.min(100, intervalMs) * 2 ** Math.max(0, polls - 1));
}

/**
 * Polls GET /nodes/{node of the UPID}/tasks/{upid}/status until `status` is "stopped". Transient
 * errors (node offline, 5xx, timeouts) are polled through until the timeout; anything else throws.
 */
export async function followTask(deps: FollowDeps, upid: string): Promise<TaskEnd> {
  const u = parseUpid(upid);
  if (!u) throw new PmiError('PVE_BAD_RESPONSE', `not a UPID: ${JSON.stringify(upid).slice(0, 200)}`);
  const path = `/nodes/${encodeURIComponent(u.node)}/tasks/${encodeURIComponent(upid)}/status`;
  const deadline = deps.now() + deps.timeoutMs;
  let polls = 0;
  let lastError: string | undefined;
  for (;;) {
    if (deps.stopped?.()) return { kind: 'abandoned', polls };
    polls++;
    let st: TaskStatus | undefined;
    try {
      st = await deps.client.get<TaskStatus>(path, undefined, { retries: 0 });
    } catch (err) {
      if (!isTransient(err)) throw err;
      lastError = (err as Error).message;
    }
    const seenAtMs = deps.now();
    await deps.polled?.(polls);
    if (st?.status === 'stopped') return { kind: 'stopped', exitstatus: st.exitstatus ?? 'unexpected status', endedAtMs: seenAtMs, polls };
    if (deps.now() >= deadline) return { kind: 'timeout', polls, lastError };
    await deps.sleep(Math.min(pollDelayMs(polls, deps.intervalMs), Math.max(0, deadline - deps.now())));
  }
}
