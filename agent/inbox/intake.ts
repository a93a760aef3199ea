// A claimed file → an accepted action row, or exactly one rejection. No Proxmox call happens here.
import type { ErrorCode } from '../errors.ts';
import type { ActionOutcome } from '../store/schema.ts';
import { errorMessage } from '../errors.ts';
import type { ActionRequest } from './action-request.schema.ts';
import { toEpochSeconds } from './action-request.schema.ts';
import { unsupportedReason } from './action-calls.ts';
import { findAction, findGuest, insertAction, replaceFailedAction, updateAction, type ActionRow } from './action.repository.ts';
import type { InboxContext } from './inbox-context.ts';
import { existsIn, originalName, readClaimed, removeClaimed, resultExists, resultName, safeBase, writeResultFile } from './maildir.ts';
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
  /** A valid, unused id: the row and result file are named after it. */
  id?: string;
  /** The request's own id when it is a duplicate (the result names it; the row cannot). */
  duplicateOf?: string;
}

/** Finds the row created for a claimed file (across restarts the cur/ name is stable). */
async function rowOfFile(ctx: InboxContext, curName: string): Promise<ActionRow | undefined> {
  return ctx.db.selectFrom('actions').selectAll().where('file_name', '=', curName).orderBy('received_at', 'desc').executeTakeFirst();
}

/**
 * Handles one file in cur/: validates it (file checks, JSON, schema, inventory, policy, expiry,
 * duplicates) and either inserts a 'queued' row (accepted) or writes the rejection. A file whose
 * row already exists is finished (result written, file removed) or left to the executor.
 */
export async function processClaimed(ctx: InboxContext, curName: string, claimedAtMs: number): Promise<IntakeResult> {
  const existing = await rowOfFile(ctx, curName);
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
    await reject(ctx, curName, submitter, claimedAtMs, { code: 'ACTION_INVALID', reason: `rejected file: ${read.reason}`, request: { excerpt: '' } });
    return { kind: 'rejected', id: `_${curName}` };
  }
  // alerts (#16): silence requests share this protocol, row, result file and audit (agent/alerts/silence-intake.ts)
  const silence = await handleSilenceFile(ctx, curName, read.bytes, submitter, claimedAtMs);
  if (silence) return silence;
  const parsed = parseActionFile(read.bytes);
  if (!parsed.ok) {
    const free = parsed.id && !(await isTaken(ctx, parsed.id)) ? parsed.id : undefined;
    await reject(ctx, curName, submitter, claimedAtMs, { code: parsed.code, reason: parsed.reason, request: { excerpt: parsed.excerpt, problems: parsed.problems }, id: free });
    return { kind: 'rejected', id: free ?? `_${curName}` };
  }
  const req = parsed.request;
  const prior = await findAction(ctx.db, req.id);
  const done = await resultExists(ctx.md, req.id);
  const resubmitFailed = prior?.outcome === 'failed' && done !== 'done' && done !== 'rejected';
  if ((prior && !resubmitFailed) || done === 'done' || done === 'rejected') {
    const what = prior ? (prior.outcome ?? `still ${prior.state}`) : done;
    await reject(ctx, curName, submitter, claimedAtMs, {
      code: 'ACTION_DUPLICATE',
      reason: `duplicate id "${req.id}": a request with this id was already received (${what}); ids are idempotency keys — use a new id`,
      request: req,
      duplicateOf: req.id,
    });
    return { kind: 'rejected', id: `_${curName}` };
  }
  const verdict = await validate(ctx, req, nowMs);
  if (verdict) {
    if (resubmitFailed) {
      await reject(ctx, curName, submitter, claimedAtMs, { ...verdict, request: req, duplicateOf: req.id });
    } else {
      await reject(ctx, curName, submitter, claimedAtMs, { ...verdict, request: req, id: req.id });
    }
    return { kind: 'rejected', id: req.id };
  }
  const guest = (await findGuest(ctx.db, req.cluster, req.vmid))!;
  const nowSec = Math.floor(nowMs / 1000);
  const row = {
    id: req.id,
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
  };
  const ok = resubmitFailed ? await replaceFailedAction(ctx.db, row) : await insertAction(ctx.db, row);
  if (!ok) {
    await reject(ctx, curName, submitter, claimedAtMs, { code: 'ACTION_DUPLICATE', reason: `duplicate id "${req.id}" (received twice at the same time)`, request: req, duplicateOf: req.id });
    return { kind: 'rejected', id: `_${curName}` };
  }
  ctx.timings.set(req.id, { receivedAt: claimedAtMs, claimedAt: claimedAtMs });
  ctx.audit.info({ event: 'accepted', id: req.id, cluster: req.cluster, vmid: req.vmid, action: req.action, submitter: row.submitter, reason: req.reason, file: curName }, 'action accepted');
  return { kind: 'accepted', id: req.id };
}

async function isTaken(ctx: InboxContext, id: string): Promise<boolean> {
  return Boolean((await findAction(ctx.db, id)) ?? (await resultExists(ctx.md, id)));
}

/** Checks that need the inventory and the clock; undefined when the request may run. */
async function validate(ctx: InboxContext, req: ActionRequest, nowMs: number): Promise<{ code: ErrorCode; reason: string } | undefined> {
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
  const decision = checkPolicy(ctx.config.policy, req.action, { cluster: req.cluster, vmid: req.vmid, tags: splitTags(guest.tags), pool: guest.pool });
  if (!decision.allowed) return { code: 'ACTION_NOT_ALLOWED', reason: decision.reason };
  return undefined;
}

/** Records and writes one rejection, then removes the claimed file. */
async function reject(ctx: InboxContext, curName: string, submitter: Submitter, claimedAtMs: number, r: Rejection): Promise<void> {
  const nowSec = Math.floor(ctx.now() / 1000);
  const req = r.request && 'action' in r.request ? r.request : null;
  const rowId = r.id ?? `_${curName}`;
  await insertAction(ctx.db, {
    id: rowId,
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
  });
  const row = (await findAction(ctx.db, rowId))!;
  ctx.audit.info({ event: 'rejected', id: r.duplicateOf ?? r.id ?? null, row: rowId, code: r.code, reason: r.reason, submitter: row.submitter, file: curName }, 'action rejected');
  await finishFile(ctx, row, curName, claimedAtMs);
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
    while (!rel) {
      const name = await resultName(ctx.md, outcome, base);
      await updateAction(ctx.db, row.id, { result_file: `${outcome}/${name}`, updated_at: Math.floor(ctx.now() / 1000) });
      await ctx.hooks.beforeResult?.(row.id);
      if (await writeResultFile(ctx.md, outcome, name, result)) {
        rel = `${outcome}/${name}`;
        ctx.hooks.onResult?.(result.id, outcome, name, ctx.now());
      }
    }
  } catch (err) {
    ctx.log.error({ err, id: row.id }, `writing the result file failed: ${errorMessage(err)}`);
    throw err;
  }
  ctx.timings.delete(row.id);
  if (curName) await removeClaimed(ctx.md, curName);
}
