// Runs one accepted action from whatever state its row is in to its outcome. The row is written
// BEFORE the POST ('posting', attempts+1) and right after it ('running' + UPID), so a restart
// resumes from the row: a known UPID is followed again, an unknown outcome is checked first.
import { PmiError, errorMessage, type ErrorCode } from '../errors.ts';
import type { PveClient } from '../pve/pve-client.types.ts';
import type { ActionRequest } from './action-request.schema.ts';
import { actionCall, definedParams, type GuestType } from './action-calls.ts';
import { findAction, findGuest, markPosting, updateAction, type ActionRow } from './action.repository.ts';
import { checkPolicy, splitTags } from './policy.ts';
import { findMatchingTask } from './find-task.ts';
import { followTask } from './follow-task.ts';
import { isHaManaged, readCurrent, readOwnerOrThrow, readSnapshots, type Observation } from './guest-state.ts';
import type { InboxContext } from './inbox-context.ts';
import { finishFile } from './intake.ts';
import { backoffMs, isTaskSuccess, isTransient } from './transient.ts';
import { observationNeeds, verifyAction, type Verification } from './verify-action.ts';

type Finish = { outcome: 'done' | 'failed' | 'rejected'; code: ErrorCode | null; message: string | null; verification?: Verification };

const sec = (ms: number) => Math.floor(ms / 1000);

/** Reads what verification needs: the owner entry, and status/current or the snapshot list. */
export async function observe(client: PveClient, req: ActionRequest, type: GuestType): Promise<Observation> {
  const owner = await readOwnerOrThrow(client, req.cluster, req.vmid);
  const needs = observationNeeds(req.action);
  const obs: Observation = { owner };
  if (needs.current) obs.current = await readCurrent(client, type, owner.node, req.vmid);
  if (needs.snapshots) obs.snapshots = await readSnapshots(client, type, owner.node, req.vmid);
  return obs;
}

/**
 * Drives the row `id` to an outcome; returns early (state kept) when the inbox stops. Every
 * outcome writes the result file and removes the claimed file.
 */
/** Why the current policy or inventory no longer allows this request, or undefined. */
async function policyRefusal(ctx: InboxContext, req: ActionRequest, row: ActionRow): Promise<{ code: ErrorCode; message: string } | undefined> {
  const guest = await findGuest(ctx.db, req.cluster, req.vmid);
  if (!guest) return { code: 'ACTION_UNKNOWN_GUEST', message: `guest ${req.cluster}/${req.vmid} is no longer in the inventory; nothing was sent to Proxmox` };
  const decision = checkPolicy(ctx.config.policy, req.action, { cluster: req.cluster, vmid: req.vmid, tags: splitTags(guest.tags), pool: guest.pool }, ctx.lookupUser(row.submitter_uid));
  if (!decision.allowed) return { code: 'ACTION_NOT_ALLOWED', message: `the policy no longer allows it: ${decision.reason}; nothing was sent to Proxmox` };
  return undefined;
}

export async function runAction(ctx: InboxContext, id: string): Promise<void> {
  let row = await findAction(ctx.db, id);
  if (!row || row.outcome) return;
  // leases (#17): only the holder of the guest's cluster runs it; the others leave the row alone
  if (ctx.fleet && !(await ctx.fleet.claim(id))) return;
  const req = JSON.parse(row.request_json ?? 'null') as ActionRequest;
  const type = (row.guest_type ?? 'qemu') as GuestType;
  const client = ctx.clients.get(req.cluster);
  const log = ctx.log.child({ id, cluster: req.cluster, vmid: req.vmid, action: req.action });
  const finish = async (f: Finish) => {
    const nowMs = ctx.now();
    await updateAction(ctx.db, id, {
      state: f.outcome,
      outcome: f.outcome,
      error_code: f.code,
      message: f.message,
      verification: f.verification ? JSON.stringify(f.verification) : null,
      finished_at: sec(nowMs),
      updated_at: sec(nowMs),
    });
    const done = (await findAction(ctx.db, id))!;
    // leases (#17): a request taken in by another agent's inbox gets its result file from that agent
    const mine = !ctx.fleet || done.received_by === null || done.received_by === ctx.fleet.agentId;
    ctx.audit.info({ event: 'finished', id, outcome: f.outcome, code: f.code, reason: f.message, upid: done.upid, exitstatus: done.exitstatus, attempts: done.attempts, cluster: req.cluster, vmid: req.vmid, action: req.action, submitter: done.submitter }, `action ${f.outcome}`);
    if (mine) await finishFile(ctx, done, done.file_name);
  };
  if (!client) return finish({ outcome: 'failed', code: 'ACTION_UNKNOWN_GUEST', message: `cluster "${req.cluster}" is not configured any more` });
  const call = (node: string) => actionCall(req, type, node);
  let uptimeBefore: number | undefined;
  let lastError: unknown;
  let checks = 0;

  const sleepBackoff = async (attempt: number) => ctx.sleep(backoffMs(attempt, ctx.config.retryBaseMs, ctx.random));

  while (!ctx.stopping()) {
    row = (await findAction(ctx.db, id))!;
    switch (row.state) {
      case 'queued': {
        const nowMs = ctx.now();
        if (row.expires !== null && row.expires * 1000 <= nowMs) {
          const at = new Date(row.expires * 1000).toISOString();
          if (row.attempts === 0) return finish({ outcome: 'rejected', code: 'ACTION_EXPIRED', message: `request expired at ${at} before it could run; nothing was sent to Proxmox` });
          // A POST went out before (its outcome was unknown, then the backoff ran past `expires`):
          // something may have happened on Proxmox, so this is a failure that says so.
          return finish({
            outcome: 'failed',
            code: 'ACTION_EXPIRED',
            message: `request expired at ${at} while retrying, after ${row.attempts} call${row.attempts === 1 ? ' was' : 's were'} sent to Proxmox (UPID: ${row.upid ?? 'none known; no task of ours was found'})${lastError ? `; the last call failed: ${errorMessage(lastError)}` : ''}; check the guest`,
          });
        }
        // Waiting for notBefore holds no executor slot: give the turn back, the inbox schedules it again.
        if (row.not_before !== null && row.not_before * 1000 > nowMs) return;
        // The policy and the inventory may have changed since the request was accepted (a new
        // config after a restart, new tags, another guest under this vmid): check again.
        const refusal = await policyRefusal(ctx, req, row);
        if (refusal) return finish({ outcome: 'rejected', ...refusal });
        let node: string;
        try {
          const owner = await readOwnerOrThrow(client, req.cluster, req.vmid);
          node = owner.node;
          if (req.action === 'reboot') uptimeBefore = (await readCurrent(client, type, node, req.vmid)).uptime;
        } catch (err) {
          if (!isTransient(err)) return finish(failure(err, 'checking the guest before the action'));
          lastError = err;
          if (++checks >= ctx.config.maxAttempts) return finish(failure(err, `checking the guest before the action (${checks} tries)`));
          log.warn({ err }, 'pre-check failed; retrying');
          await sleepBackoff(checks);
          continue;
        }
        if (row.attempts >= ctx.config.maxAttempts) {
          return finish({ outcome: 'failed', code: codeOf(lastError), message: `gave up after ${row.attempts} attempts: ${lastError ? errorMessage(lastError) : 'no task'}` });
        }
        const c = call(node);
        // leases (#17): the lease may have moved while this agent stalled; never POST without it
        if (ctx.fleet && !(await ctx.fleet.claim(id))) {
          log.warn('the lease of the cluster moved to another agent before the call: leaving the action to it');
          return;
        }
        await markPosting(ctx.db, id, node, sec(ctx.now()));
        await ctx.hooks.beforePost?.(id);
        ctx.audit.info({ event: 'posting', id, method: c.method, path: c.path, attempt: row.attempts + 1 }, 'sending the action to Proxmox');
        let upid: string;
        try {
          const postedAt = ctx.now();
          ctx.timings.set(id, { ...(ctx.timings.get(id) ?? {}), postedAt });
          const p = definedParams(c.params);
          const res = c.method === 'POST' ? await client.post<string>(c.path, p, { retries: 0 }) : await client.delete<string>(c.path, p, { retries: 0 });
          ctx.hooks.onPost?.(id, postedAt);
          if (typeof res !== 'string' || !res.startsWith('UPID:')) throw new PmiError('PVE_BAD_RESPONSE', `expected a UPID from ${c.method} ${c.path}, got ${JSON.stringify(res).slice(0, 200)}`);
          upid = res;
        } catch (err) {
          if (isTransient(err)) {
            lastError = err;
            log.warn({ err }, 'the call failed with a transient error; checking what happened before any retry');
            continue; // state is 'posting': the next round checks tasks and state
          }
          return finish(failure(err, `${c.method} ${c.path}`));
        }
        await ctx.hooks.afterPost?.(id, upid);
        await updateAction(ctx.db, id, { upid, state: 'running', updated_at: sec(ctx.now()) });
        ctx.audit.info({ event: 'posted', id, upid }, 'task started');
        continue;
      }
      case 'posting': {
        // Unknown outcome: a crash or a transient error hit between 'posting' and the UPID.
        const node = row.node!;
        try {
          const known = await knownUpids(ctx, req, id);
          const task = await findMatchingTask(client, node, req.vmid, call(node).taskTypes, (row.received_at ?? sec(ctx.now())) - 1);
          if (task && !known.has(task.upid)) {
            log.info({ upid: task.upid }, 'found the task of the interrupted call; following it instead of posting again');
            ctx.audit.info({ event: 'adopted', id, upid: task.upid }, 'task of an interrupted call found');
            await updateAction(ctx.db, id, { upid: task.upid, state: 'running', updated_at: sec(ctx.now()) });
            continue;
          }
          const obs = await observe(client, req, type);
          const v = verifyAction(req, type, obs, { postedAtSec: row.posted_at ?? row.received_at, nowSec: sec(ctx.now()), uptimeBefore });
          if (v.ok && req.action !== 'rollback' && req.action !== 'reset') {
            return finish({
              outcome: 'done',
              code: null,
              message: `the guest already is in the wanted state and no task of ours was found, so nothing was sent again${lastError ? ` (the call had failed: ${errorMessage(lastError)})` : ''}`,
              verification: v,
            });
          }
        } catch (err) {
          lastError = err;
          if (!isTransient(err)) return finish(failure(err, 'checking the outcome of an interrupted call'));
          if (++checks >= ctx.config.maxAttempts) return finish({ outcome: 'failed', code: codeOf(err), message: `the outcome of the call is unknown and could not be checked: ${errorMessage(err)}` });
          await sleepBackoff(checks);
          continue;
        }
        if (row.attempts >= ctx.config.maxAttempts) {
          return finish({ outcome: 'failed', code: codeOf(lastError), message: `gave up after ${row.attempts} attempts${lastError ? `: ${errorMessage(lastError)}` : ''}` });
        }
        await sleepBackoff(row.attempts);
        await updateAction(ctx.db, id, { state: 'queued', updated_at: sec(ctx.now()) });
        continue;
      }
      case 'running': {
        const upid = row.upid!;
        const end = await followTask(
          {
            client,
            now: ctx.now,
            sleep: ctx.sleep,
            // After the first status poll, not in the sleep between polls: a task that has ended
            // by then gets no sleep at all, and the crash point must still be reached.
            polled: async (polls) => {
              if (polls === 1) await ctx.hooks.duringFollow?.(id, upid);
            },
            intervalMs: ctx.taskPollIntervalMs,
            timeoutMs: Math.max(1000, (row.posted_at ?? sec(ctx.now())) * 1000 + ctx.config.taskTimeoutSeconds * 1000 - ctx.now()),
            stopped: ctx.stopping,
          },
          upid,
        ).catch((err: unknown) => ({ kind: 'error' as const, err }));
        if (end.kind === 'abandoned') return;
        if (end.kind === 'error') return finish(failure(end.err, `following task ${upid}`));
        if (end.kind === 'timeout') {
          return finish({ outcome: 'failed', code: 'ACTION_TASK_TIMEOUT', message: `task ${upid} did not stop within ${ctx.config.taskTimeoutSeconds}s${end.lastError ? ` (last error: ${end.lastError})` : ''}; it may still be running` });
        }
        ctx.timings.set(id, { ...(ctx.timings.get(id) ?? {}), taskEndedAt: end.endedAtMs });
        await updateAction(ctx.db, id, { exitstatus: end.exitstatus, task_ended_at: sec(end.endedAtMs), state: 'verifying', updated_at: sec(ctx.now()) });
        ctx.audit.info({ event: 'task-ended', id, upid, exitstatus: end.exitstatus }, 'task ended');
        continue;
      }
      case 'verifying': {
        const taskOk = isTaskSuccess(row.exitstatus);
        let obs: Observation | undefined;
        let v: Verification | undefined;
        let ha = false;
        const startedMs = ctx.now();
        // Non-HA guests: a failed task is final. HA guests are judged by their state (pve-api.md §6.3).
        for (;;) {
          try {
            obs = await observe(client, req, type);
            ha = isHaManaged(obs);
            if (!taskOk && !ha) break;
            v = verifyAction(req, type, obs, { postedAtSec: row.posted_at ?? row.received_at, nowSec: sec(ctx.now()), uptimeBefore });
            if (v.ok) break;
          } catch (err) {
            if (!isTransient(err)) return finish(failure(err, 'verifying the result'));
            lastError = err;
          }
          const limitMs = ha ? Math.max(ctx.config.taskTimeoutSeconds * 1000 - (ctx.now() - (row.posted_at ?? 0) * 1000), ctx.config.verifyTimeoutSeconds * 1000) : ctx.config.verifyTimeoutSeconds * 1000;
          if (ctx.now() - startedMs >= limitMs || ctx.stopping()) break;
          await ctx.sleep(ctx.taskPollIntervalMs);
        }
        if (!taskOk && !ha) {
          return finish({ outcome: 'failed', code: 'ACTION_TASK_FAILED', message: `task ${row.upid} failed: ${row.exitstatus ?? 'unknown exit status'}` });
        }
        if (v?.ok) {
          const notes: string[] = [];
          if (ha) notes.push(`HA-managed: judged by the guest's state${taskOk ? '' : `; the task itself ended with "${row.exitstatus}"`}`);
          else if (row.exitstatus !== 'OK') notes.push(`task ended with ${row.exitstatus}`);
          return finish({ outcome: 'done', code: null, message: notes.length ? notes.join('; ') : null, verification: v });
        }
        if (ctx.stopping()) return; // still 'verifying': the next start checks again
        return finish({
          outcome: 'failed',
          code: 'ACTION_VERIFY_FAILED',
          message: v ? `the task ended with ${row.exitstatus ?? '?'} but the guest did not reach the wanted state: expected ${v.expected}; observed ${v.observed}` : `could not verify the result: ${errorMessage(lastError)}`,
          verification: v,
        });
      }
      case 'done':
      case 'failed':
      case 'rejected':
        return;
    }
  }
}

/** UPIDs already recorded for other requests on this guest (never adopt someone else's task). */
async function knownUpids(ctx: InboxContext, req: ActionRequest, id: string): Promise<Set<string>> {
  const rows = await ctx.db.selectFrom('actions').select('upid').where('cluster', '=', req.cluster).where('vmid', '=', req.vmid).where('id', '!=', id).where('upid', 'is not', null).execute();
  return new Set(rows.map((r) => r.upid!));
}

function codeOf(err: unknown): ErrorCode {
  if (err instanceof PmiError && err.code.startsWith('ACTION_')) return err.code;
  return 'ACTION_PVE_ERROR';
}

function failure(err: unknown, what: string): Finish {
  return { outcome: 'failed', code: codeOf(err), message: `${what}: ${errorMessage(err)}` };
}

export type { ActionRow };
