// A claimed file → an accepted action row, or exactly one rejection. No Proxmox call happens here.
import type { ErrorCode } from '../errors.ts';
import type { ActionOutcome } from '../store/schema.ts';
import { errorMessage } from '../errors.ts';
import type { ActionRequest } from './action-request.schema.ts';
import { toEpochSeconds } from './action-request.schema.ts';
import { unsupportedReason } from './action-calls.ts';
import { findAction, findByFile, findGuest, findRequest, insertAction, replaceFailedAction, updateAction, type ActionRow } from './action.repository.ts';
import type { InboxContext } from './inbox-context.ts';
import { claimToken, existsIn, originalName, readClaimed, removeClaimed, resultName, safeBase, writeResultFile } from './maildir.ts';
import { parseActionFile } from './parse-action.ts';
import { checkPolicy, splitTags } from './policy.ts';
import { buildResult, submitterColumn } from './result-file.ts';
import type { Submitter } from './submitter.ts';
import { handleSilenceFile } from '../alerts/silence-intake.ts'; // alerts (#16)

export type IntakeResult = { kind: 'accepted'; id: string } | { kind: 'rejected'; id: string } | { kind: 'finished' } | { kind: 'in-progress'; id: string };

interface Rejection {
  code: ErrorCode;
  reason: string;
  request: ActionRequest | { excerpt: string; problems?: string[] } | null;
  /** A valid id, unused in the submitter's scope: the row claims it (and the result is named after it). */
  requestId?: string;
  /** The request's own id when it is a duplicate (the result names it; the row cannot). */
  duplicateOf?: string;
}

/**
 * May this owner submit at all? Root and the agent itself, and members of the inbox's submit group
 * (the group of new/). Anyone else's file got there through root or a membership since revoked.
 */
function ownerRefusal(ctx: InboxContext, s: Submitter): string | undefined {
  if (s.uid === 0 || s.uid === ctx.agentUid) return undefined;
  if (s.gids?.includes(ctx.md.submitGid)) return undefined;
  return `the file is owned by ${s.user ?? 'an unknown user'} (uid ${s.uid}), who is not a member of the submit group (gid ${ctx.md.submitGid}, the group of new/); only members may submit`;
}

/** A free row id for a request id of this submitter: the id itself when nobody used it, else id~u<uid>. */
async function rowIdFor(ctx: InboxContext, requestId: string, uid: number | null, curName: string): Promise<string> {
  if (!(await findAction(ctx.db, requestId))) return requestId;
  // '~' cannot occur in a request id, so this never collides with one.
  const scoped = `${requestId}~u${uid ?? 'unknown'}`;
  return (await findAction(ctx.db, scoped)) ? `_${curName}` : scoped;
}

/**
 * Handles one file in cur/: validates it (file checks, owner, JSON, schema, inventory, policy,
 * expiry, duplicates) and either inserts a 'queued' row (accepted) or writes the rejection. A file
 * whose row already exists is finished (result written, file removed) or left to the executor.
 * Throws only on what may pass (the database busy, the disk full): the caller retries.
 */
export async function processClaimed(ctx: InboxContext, curName: string, claimedAtMs: number): Promise<IntakeResult> {
  const existing = await findByFile(ctx.db, curName, ctx.fleet?.agentId);
  if (existing) {
    if (existing.outcome) {
      await finishFile(ctx, existing, curName);
      return { kind: 'finished' };
    }
    return { kind: 'in-progress', id: existing.id };
  }
  const nowMs = ctx.now();
  const read = await readClaimed(ctx.md, curName);
  const submitter = ctx.lookupUser(read.uid);
  if (!read.ok) {
    return reject(ctx, curName, submitter, claimedAtMs, { code: 'ACTION_INVALID', reason: `rejected file: ${read.reason}`, request: { excerpt: '' } });
  }
  const notMember = ownerRefusal(ctx, submitter);
  if (notMember) return reject(ctx, curName, submitter, claimedAtMs, { code: 'ACTION_NOT_ALLOWED', reason: notMember, request: { excerpt: '' } });
  // alerts (#16): silence requests share this protocol, row, result file and audit (agent/alerts/silence-intake.ts)
  const silence = await handleSilenceFile(ctx, curName, read.bytes, submitter, claimedAtMs);
  if (silence) return silence;
  const parsed = parseActionFile(read.bytes);
  if (!parsed.ok) {
    const free = parsed.id && !(await findRequest(ctx.db, submitter.uid, parsed.id)) ? parsed.id : undefined;
    return reject(ctx, curName, submitter, claimedAtMs, { code: parsed.code, reason: parsed.reason, request: { excerpt: parsed.excerpt, problems: parsed.problems }, requestId: free });
  }
  const req = parsed.request;
  const prior = await findRequest(ctx.db, submitter.uid, req.id);
  const resubmitFailed = prior?.outcome === 'failed';
  if (prior && !resubmitFailed) {
    return reject(ctx, curName, submitter, claimedAtMs, {
      code: 'ACTION_DUPLICATE',
      reason: `duplicate id "${req.id}": you already submitted a request with this id (${prior.outcome ?? `still ${prior.state}`}); ids are idempotency keys — use a new id`,
      request: req,
      duplicateOf: req.id,
    });
  }
  const verdict = await validate(ctx, req, submitter, nowMs);
  if (verdict) {
    return reject(ctx, curName, submitter, claimedAtMs, resubmitFailed ? { ...verdict, request: req, duplicateOf: req.id } : { ...verdict, request: req, requestId: req.id });
  }
  const guest = (await findGuest(ctx.db, req.cluster, req.vmid))!;
  const nowSec = Math.floor(nowMs / 1000);
  const rowId = resubmitFailed ? prior.id : await rowIdFor(ctx, req.id, submitter.uid, curName);
  const row = {
    id: rowId,
    request_id: req.id,
    cluster: req.cluster,
    vmid: req.vmid,
    guest_type: guest.type,
    node: req.node ?? guest.node,
    action: req.action,
    params: 'params' in req && req.params ? JSON.stringify(req.params) : null,
    reason: req.reason ?? null,
    submitter: submitterColumn(submitter),
    submitter_uid: submitter.uid,
    file_name: curName,
    state: 'queued' as const,
    received_at: Math.floor(claimedAtMs / 1000),
    claimed_at: Math.floor(claimedAtMs / 1000),
    not_before: req.notBefore === undefined ? null : toEpochSeconds(req.notBefore),
    expires: req.expires === undefined ? null : toEpochSeconds(req.expires),
    request_json: parsed.text,
    updated_at: nowSec,
    ...(ctx.fleet && { received_by: ctx.fleet.agentId }), // leases (#17)
  };
  const ok = resubmitFailed ? await replaceFailedAction(ctx.db, row) : await insertAction(ctx.db, row);
  if (!ok) {
    return reject(ctx, curName, submitter, claimedAtMs, { code: 'ACTION_DUPLICATE', reason: `duplicate id "${req.id}" (received twice at the same time)`, request: req, duplicateOf: req.id });
  }
  ctx.timings.set(rowId, { receivedAt: claimedAtMs, claimedAt: claimedAtMs });
  ctx.audit.info({ event: 'accepted', id: req.id, row: rowId, cluster: req.cluster, vmid: req.vmid, action: req.action, submitter: row.submitter, uid: submitter.uid, reason: req.reason, file: curName }, 'action accepted');
  return { kind: 'accepted', id: rowId };
}

/**
 * Records, once, an entry of new/ the agent cannot claim (e.g. another user's directory: moving it
 * needs write access to it). The row id is derived from the inode, so a later scan, or the next
 * start, finds it recorded and writes no second result; the scan skips it and goes on.
 */
export async function recordStuck(ctx: InboxContext, entry: { name: string; uid: number; ino: number }, err: NodeJS.ErrnoException): Promise<boolean> {
  const rowId = `_new.${entry.ino}.${safeBase(entry.name).slice(0, 100)}`;
  if (await findAction(ctx.db, rowId)) return false;
  const nowSec = Math.floor(ctx.now() / 1000);
  const submitter = ctx.lookupUser(entry.uid);
  const reason = `new/${entry.name} cannot be claimed (${err.code ?? 'error'}: ${err.message}); it stays in new/ and is skipped — its owner should remove it`;
  const inserted = await insertAction(ctx.db, {
    id: rowId, submitter: submitterColumn(submitter), submitter_uid: submitter.uid, state: 'rejected', outcome: 'rejected', error_code: 'ACTION_INVALID',
    message: reason, received_at: nowSec, claimed_at: null, finished_at: nowSec, request_json: JSON.stringify({ excerpt: '' }), updated_at: nowSec,
  });
  if (!inserted) return false;
  ctx.audit.info({ event: 'rejected', id: null, row: rowId, code: 'ACTION_INVALID', reason, submitter: submitterColumn(submitter), file: entry.name }, 'action rejected');
  await finishFile(ctx, (await findAction(ctx.db, rowId))!, null);
  return true;
}

/** Checks that need the inventory and the clock; undefined when the request may run. */
async function validate(ctx: InboxContext, req: ActionRequest, submitter: Submitter, nowMs: number): Promise<{ code: ErrorCode; reason: string } | undefined> {
  const nowSec = nowMs / 1000;
  if (req.expires !== undefined && toEpochSeconds(req.expires) <= nowSec) {
    return { code: 'ACTION_EXPIRED', reason: `request expired at ${new Date(toEpochSeconds(req.expires) * 1000).toISOString()} (received ${new Date(nowMs).toISOString()})` };
  }
  if (req.notBefore !== undefined && toEpochSeconds(req.notBefore) > nowSec + 366 * 86_400) {
    return { code: 'ACTION_INVALID', reason: `notBefore ${new Date(toEpochSeconds(req.notBefore) * 1000).toISOString()} is more than a year ahead` };
  }
  if (!ctx.clients.has(req.cluster)) return { code: 'ACTION_UNKNOWN_GUEST', reason: `unknown cluster "${req.cluster}" (not configured)` };
  const guest = await findGuest(ctx.db, req.cluster, req.vmid);
  if (!guest) {
    const polled = await ctx.db.selectFrom('clusters').select('last_ok_at').where('name', '=', req.cluster).executeTakeFirst();
    if (!polled?.last_ok_at) return { code: 'ACTION_UNKNOWN_GUEST', reason: `cluster "${req.cluster}" has not been polled successfully yet, so its guests are unknown; drop the request again after the first successful poll` };
    return { code: 'ACTION_UNKNOWN_GUEST', reason: `unknown guest ${req.cluster}/${req.vmid}: not in the inventory (the guests table, as of the last poll)` };
  }
  if (req.node !== undefined && req.node !== guest.node) {
    return { code: 'ACTION_UNKNOWN_GUEST', reason: `guest ${req.cluster}/${req.vmid} is on node "${guest.node}" according to the inventory, not "${req.node}" (leave "node" out to let the agent resolve it)` };
  }
  if (guest.template === 1) return { code: 'ACTION_INVALID', reason: `guest ${req.cluster}/${req.vmid} is a template; templates cannot be operated` };
  const unsupported = unsupportedReason(req, guest.type);
  if (unsupported) return { code: 'ACTION_INVALID', reason: unsupported };
  if (req.action === 'migrate' && req.params.target === guest.node) {
    return { code: 'ACTION_INVALID', reason: `guest ${req.cluster}/${req.vmid} already is on node "${guest.node}"` };
  }
  const decision = checkPolicy(ctx.config.policy, req.action, { cluster: req.cluster, vmid: req.vmid, tags: splitTags(guest.tags), pool: guest.pool }, submitter);
  if (!decision.allowed) return { code: 'ACTION_NOT_ALLOWED', reason: decision.reason };
  return undefined;
}

/** Records and writes one rejection, then removes the claimed file. */
async function reject(ctx: InboxContext, curName: string, submitter: Submitter, claimedAtMs: number, r: Rejection): Promise<IntakeResult> {
  const nowSec = Math.floor(ctx.now() / 1000);
  const req = r.request && 'action' in r.request ? r.request : null;
  const rowId = r.requestId ? await rowIdFor(ctx, r.requestId, submitter.uid, curName) : `_${curName}`;
  await insertAction(ctx.db, {
    id: rowId,
    request_id: r.requestId ?? null,
    cluster: req?.cluster ?? null,
    vmid: req?.vmid ?? null,
    node: req?.node ?? null,
    action: req?.action ?? null,
    params: req && 'params' in req && req.params ? JSON.stringify(req.params) : null,
    reason: req?.reason ?? null,
    submitter: submitterColumn(submitter),
    submitter_uid: submitter.uid,
    file_name: curName,
    state: 'rejected',
    outcome: 'rejected',
    error_code: r.code,
    message: r.reason,
    received_at: Math.floor(claimedAtMs / 1000),
    claimed_at: Math.floor(claimedAtMs / 1000),
    finished_at: nowSec,
    request_json: JSON.stringify(r.request),
    updated_at: nowSec,
    ...(ctx.fleet && { received_by: ctx.fleet.agentId }), // leases (#17)
  });
  const row = (await findAction(ctx.db, rowId))!;
  ctx.audit.info({ event: 'rejected', id: r.duplicateOf ?? r.requestId ?? null, row: rowId, code: r.code, reason: r.reason, submitter: row.submitter, uid: submitter.uid, file: curName }, 'action rejected');
  await finishFile(ctx, row, curName, claimedAtMs);
  return { kind: 'rejected', id: rowId };
}

/**
 * Writes the result file of a finished row (if not written yet), records its name and removes the
 * claimed file. Idempotent: after a crash it completes whatever step was missing.
 */
export async function finishFile(ctx: InboxContext, row: ActionRow, curName: string | null, claimedAtMs?: number): Promise<void> {
  const outcome = row.outcome!;
  const ms = { ...(ctx.timings.get(row.id) ?? {}), ...(claimedAtMs !== undefined ? { receivedAt: claimedAtMs, claimedAt: claimedAtMs } : {}), finishedAt: ctx.now() };
  const result = buildResult(row, { ms, file: row.file_name ? originalName(row.file_name) : undefined });
  const base = result.id === row.id && row.id.startsWith('_') ? safeBase(row.id) : result.id;
  try {
    let rel = row.result_file;
    // A name recorded earlier (before a crash) is reused, so a request never gets two result files.
    if (rel && !(await existsIn(ctx.md, rel))) {
      await ctx.hooks.beforeResult?.(row.id);
      const [folder, name] = rel.split('/') as [ActionOutcome, string];
      if (await writeResultFile(ctx.md, folder, name, result)) ctx.hooks.onResult?.(result.id, outcome, name, ctx.now());
      else rel = null;
    }
    const token = (row.file_name && claimToken(row.file_name)) ?? `r${ctx.now()}`;
    for (let k = 0; !rel; k++) {
      const free = await resultName(ctx.md, outcome, base, token, k);
      k = free.k;
      await updateAction(ctx.db, row.id, { result_file: `${outcome}/${free.name}`, updated_at: Math.floor(ctx.now() / 1000) });
      await ctx.hooks.beforeResult?.(row.id);
      if (await writeResultFile(ctx.md, outcome, free.name, result)) {
        rel = `${outcome}/${free.name}`;
        ctx.hooks.onResult?.(result.id, outcome, free.name, ctx.now());
      }
    }
  } catch (err) {
    ctx.log.error({ err, id: row.id }, `writing the result file failed: ${errorMessage(err)}`);
    throw err;
  }
  ctx.timings.delete(row.id);
  if (curName) await removeClaimed(ctx.md, curName);
}
