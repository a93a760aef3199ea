// Pure view models for what issue 12 items 2 and 3 add to the pages: the latest PVE 9 pressure
// stall / ZFS ARC values of a node or guest, and per-node poll errors (node, cluster and agent
// pages, status.json). Rows in, typed models out; rendered by site-templates/partials/pressure.eta
// and poll-errors.eta. Kept apart from the engine so it can be re-attached to the new one.
import type { PollErrorRow } from '../store/poll-errors.repository.ts';
import type { GuestPressureRow, NodePressureRow } from '../store/pressure.repository.ts';
import { fmtBytes, fmtTime } from './format.ts';

/** PSI avg10 is a percentage already (pve-api.md §8). */
const pct = (v: number | null) => (v === null ? '–' : `${v < 10 ? v.toFixed(2) : v.toFixed(1)} %`);

const AS_OF = (ts: number) => `As of ${fmtTime(ts)} (from Proxmox's RRD history; these values are not in the live API)`;
const someFull = (label: string, some: number | null, full: number | null) => ({ label: `${label} pressure (some / full)`, text: `${pct(some)} / ${pct(full)}` });

/** A node's latest pressure/ARC values ("As of …" and rows), or null when none were ever fetched (PVE ≤ 8, no backfill yet). */
export function buildNodePressure(row: NodePressureRow | undefined) {
  if (!row) return null;
  return {
    asOf: AS_OF(row.ts),
    rows: [
      { label: 'CPU pressure (some)', text: pct(row.cpu_some) },
      someFull('I/O', row.io_some, row.io_full),
      someFull('Memory', row.memory_some, row.memory_full),
      { label: 'ZFS ARC size', text: fmtBytes(row.arcsize) },
    ],
  };
}

/** A guest's latest pressure values (and host memory, QEMU), or null when none were fetched. */
export function buildGuestPressure(row: GuestPressureRow | undefined) {
  if (!row) return null;
  const rows = [someFull('CPU', row.cpu_some, row.cpu_full), someFull('I/O', row.io_some, row.io_full), someFull('Memory', row.memory_some, row.memory_full)];
  if (row.memhost !== null) rows.push({ label: 'Memory on the host', text: fmtBytes(row.memhost) });
  return { asOf: AS_OF(row.ts), rows };
}

/** Poll errors of the last 24 h (what is collected) for a page: those of one cluster and/or node, newest first, at most `limit`. */
export function buildPollErrors(rows: readonly PollErrorRow[], filter: { cluster?: string; node?: string }, limit = 50) {
  const out = [];
  for (const r of rows) {
    if (filter.cluster !== undefined && r.cluster !== filter.cluster) continue;
    if (filter.node !== undefined && r.node !== filter.node) continue;
    out.push({ when: fmtTime(r.ts), ts: r.ts, cluster: r.cluster, node: r.node ?? '(cluster)', code: r.code, endpoint: r.endpoint ?? '–', path: r.path ?? '–', message: r.message });
    if (out.length >= limit) break;
  }
  return { id: 'poll-errors', title: 'Poll errors (last 24 h)', rows: out, emptyText: 'No poll errors in the last 24 h.' };
}

/** Per cluster for status.json: errors in the window and the latest cycle's per-node errors. */
export function pollErrorsForStatus(rows: readonly PollErrorRow[]) {
  const out = new Map<string, { errors_24h: number; last_error_at: number; node_errors: Array<Pick<PollErrorRow, 'node' | 'code' | 'endpoint' | 'path' | 'message'> & { at: number }> }>();
  for (const r of rows) {
    let e = out.get(r.cluster);
    if (!e) out.set(r.cluster, (e = { errors_24h: 0, last_error_at: r.ts, node_errors: [] }));
    e.errors_24h++;
    // rows are newest first: the latest cycle with errors is the first ts seen
    if (r.ts === e.last_error_at) e.node_errors.push({ node: r.node, at: r.ts, code: r.code, endpoint: r.endpoint, path: r.path, message: r.message });
  }
  return out;
}
