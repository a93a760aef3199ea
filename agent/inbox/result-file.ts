// Pure: the result file written for every request (done/, failed/ or rejected/).
import type { ActionOutcome } from '../store/schema.ts';
import type { ActionRow } from './action.repository.ts';
import type { Verification } from './verify-action.ts';

export const RESULT_VERSION = 1;

export interface ResultTimings {
  receivedAt: string | null;
  claimedAt: string | null;
  postedAt: string | null;
  taskEndedAt: string | null;
  finishedAt: string | null;
}

export interface ActionResult {
  version: number;
  id: string;
  outcome: ActionOutcome;
  reason: string | null;
  errorCode: string | null;
  /** The parsed request, or `{ excerpt }` of the raw text when it could not be parsed. */
  request: unknown;
  cluster: string | null;
  vmid: number | null;
  node: string | null;
  action: string | null;
  upid: string | null;
  exitstatus: string | null;
  timings: ResultTimings;
  verification: Verification | null;
  submitter: { uid: number | null; user: string | null };
  attempts: number;
  /** The file name as it was dropped into new/ (when known). */
  file?: string;
}

/** Precise times (epoch ms) known in memory; the row only keeps seconds. */
export type TimingsMs = Partial<Record<keyof ResultTimings, number>>;

const iso = (ms: number | null | undefined) => (ms === null || ms === undefined ? null : new Date(ms).toISOString());
const sec = (s: number | null) => (s === null ? null : s * 1000);

/** The actions.submitter column: the user name, or "uid N" when /etc/passwd does not know the uid. */
export function submitterColumn(s: { uid: number | null; user: string | null }): string | null {
  return s.user ?? (s.uid === null ? null : `uid ${s.uid}`);
}

function requestIdOf(request: unknown): string | undefined {
  const id = request && typeof request === 'object' ? (request as { id?: unknown }).id : undefined;
  return typeof id === 'string' ? id : undefined;
}

/** Builds the result file content from the row (the source of truth) and what memory knows more precisely. */
export function buildResult(row: ActionRow, extra: { ms?: TimingsMs; file?: string; requestId?: string } = {}): ActionResult {
  const ms = extra.ms ?? {};
  let request: unknown = null;
  if (row.request_json !== null) {
    try {
      request = JSON.parse(row.request_json);
    } catch {
      request = { excerpt: row.request_json };
    }
  }
  const verification = row.verification ? (JSON.parse(row.verification) as Verification) : null;
  return {
    version: RESULT_VERSION,
    id: extra.requestId ?? requestIdOf(request) ?? row.id,
    outcome: row.outcome ?? 'failed',
    reason: row.outcome === 'done' ? row.message : (row.message ?? 'unknown'),
    errorCode: row.error_code,
    request,
    cluster: row.cluster,
    vmid: row.vmid,
    node: row.node,
    action: row.action,
    upid: row.upid,
    exitstatus: row.exitstatus,
    timings: {
      receivedAt: iso(ms.receivedAt ?? sec(row.received_at)),
      claimedAt: iso(ms.claimedAt ?? sec(row.claimed_at)),
      postedAt: iso(ms.postedAt ?? sec(row.posted_at)),
      taskEndedAt: iso(ms.taskEndedAt ?? sec(row.task_ended_at)),
      finishedAt: iso(ms.finishedAt ?? sec(row.finished_at)),
    },
    verification,
    submitter: { uid: row.submitter_uid, user: row.submitter?.startsWith('uid ') ? null : row.submitter },
    attempts: row.attempts,
    ...(extra.file !== undefined ? { file: extra.file } : {}),
  };
}
