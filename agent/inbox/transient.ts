// Which failures are worth another try (pve-api.md §1.3, §10): 5xx, 595/596, no connection, timeouts.
import { isTransient } from '../pve/pve-errors.ts';

/** True for errors a retry may cure (5xx, 595/596, no connection, timeouts); shared with the PVE client. */
export { isTransient };

/** A task exit status that counts as success: "OK" or "WARNINGS: n" (pve-common UPID.pm). */
export function isTaskSuccess(exitstatus: string | null | undefined): boolean {
  return exitstatus === 'OK' || /^WARNINGS: \d+$/.test(exitstatus ?? '');
}

/** Exponential backoff with full jitter: base · 2^(attempt−1), capped at 60 s. */
export function backoffMs(attempt: number, baseMs: number, random: () => number): number {
  const cap = Math.min(60_000, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(cap / 2 + (random() * cap) / 2);
}
