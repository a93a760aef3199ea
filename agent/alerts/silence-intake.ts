// Silence requests through the inbox: the same directory protocol, the same `actions` row, result
// file and audit line as an action (so `v_actions` and the result folders tell the whole story),
// checked against actions.policy (rules granting `silence`). The inbox calls handleSilenceFile() for every claimed file
// (one marked line in agent/inbox/intake.ts); it answers undefined for anything that is not ours.
import { toEpochSeconds } from '../inbox/action-request.schema.ts';
import { findAction, findGuest, insertAction } from '../inbox/action.repository.ts';
import { splitTags, type PolicyGuest } from '../inbox/policy.ts';
import type { InboxContext } from '../inbox/inbox-context.ts';
import { finishFile } from '../inbox/intake.ts';
import { submitterColumn } from '../inbox/result-file.ts';
import type { Submitter } from '../inbox/submitter.ts';
import { alertsDb, endSilence, findSilence, insertSilence } from '../store/alerts.repository.ts';
import { formatMatchers } from './label-matchers.ts';
import { pinnedGuest, SilenceFile, silenceKind, silencePolicyVerdict } from './silence-request.ts';
import type { LabelMatcher } from './alerts-config.schema.ts';
import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.ts';

/** The inventory guest a silence pins (for rules selecting by tags or pools), else undefined. */
async function guestOf(ctx: InboxContext, matchers: readonly LabelMatcher[]): Promise<PolicyGuest | undefined> {
  const pin = pinnedGuest(matchers);
  const g = pin && (await findGuest(ctx.db, pin.cluster, pin.vmid));
  return g ? { cluster: g.cluster, vmid: g.vmid, tags: splitTags(g.tags), pool: g.pool } : undefined;
}

type Outcome = { kind: 'accepted'; id: string } | { kind: 'rejected'; id: string };

/** Handles a claimed file when it is a silence request; undefined otherwise. */
export async function handleSilenceFile(ctx: InboxContext, curName: string, bytes: Buffer, submitter: Submitter, claimedAtMs: number): Promise<Outcome | undefined> {
  const text = bytes.toString('utf8').replace(/^\uFEFF/, '');
  const kind = silenceKind(text);
  if (!kind) return undefined;
  const nowSec = Math.floor(ctx.now() / 1000);
  const who = submitterColumn(submitter);
  const parsed = SilenceFile.safeParse(JSON.parse(text));
  const rawId = (JSON.parse(text) as { id?: unknown }).id;
  const finish = async (id: string, outcome: 'done' | 'rejected', message: string, code: string | null) => {
    const rowId = (await findAction(ctx.db, id)) ? `_${curName}` : id;
    await insertAction(ctx.db, {
      id: rowId, cluster: null, vmid: null, node: null, action: kind, params: parsed.success ? JSON.stringify(parsed.data) : null,
      reason: parsed.success ? parsed.data.reason : null, submitter: who, submitter_uid: submitter.uid, file_name: curName,
      state: outcome, outcome, error_code: code, message, received_at: Math.floor(claimedAtMs / 1000), claimed_at: Math.floor(claimedAtMs / 1000),
      finished_at: nowSec, request_json: text, updated_at: nowSec,
    });
    ctx.audit.info({ event: outcome === 'done' ? kind : 'rejected', id: rowId, code, reason: message, submitter: who, file: curName }, `${kind} ${outcome === 'done' ? 'applied' : 'rejected'}`);
    await finishFile(ctx, (await findAction(ctx.db, rowId))!, curName, claimedAtMs);
    return { kind: outcome === 'done' ? 'accepted' as const : 'rejected' as const, id: rowId };
  };
  const idOr = typeof rawId === 'string' && /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(rawId) ? rawId : `_${curName}`;
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(top level)'}: ${i.message}`).join('; ');
    return finish(idOr, 'rejected', `invalid ${kind} request: ${problems}`, 'ACTION_INVALID');
  }
  const req = parsed.data;
  if (await findAction(ctx.db, req.id)) return finish(req.id, 'rejected', `duplicate id "${req.id}": ids are idempotency keys — use a new id`, 'ACTION_DUPLICATE');
  const db = alertsDb(ctx.db as unknown as Kysely<Database>);
  if (req.kind === 'silence') {
    const verdict = silencePolicyVerdict(ctx.config.policy, req, submitter, nowSec, await guestOf(ctx, req.matchers));
    if (verdict) return finish(req.id, 'rejected', verdict, 'ACTION_NOT_ALLOWED');
    const endsAt = toEpochSeconds(req.expires);
    await insertSilence(db, { id: req.id, matchers: req.matchers, startsAt: req.startsAt === undefined ? nowSec : toEpochSeconds(req.startsAt), endsAt, reason: req.reason, createdBy: who ?? 'unknown', createdAt: nowSec });
    return finish(req.id, 'done', `silence ${req.id} (${formatMatchers(req.matchers)}) active until ${new Date(endsAt * 1000).toISOString()}`, null);
  }
  const target = await findSilence(db, req.silence);
  if (!target) return finish(req.id, 'rejected', `no silence with id "${req.silence}"`, 'ACTION_INVALID');
  // Ending a silence needs the same right as creating it: the policy is checked on the silence's own matchers.
  const verdict = silencePolicyVerdict(ctx.config.policy, { version: 1, kind: 'silence', id: target.id, matchers: target.matchers, expires: Math.max(target.endsAt, nowSec + 1), reason: req.reason }, submitter, nowSec, await guestOf(ctx, target.matchers));
  if (verdict && !verdict.startsWith('the silence would last') && !verdict.includes('has passed')) return finish(req.id, 'rejected', verdict, 'ACTION_NOT_ALLOWED');
  if (!(await endSilence(db, target.id, nowSec, who ?? 'unknown'))) return finish(req.id, 'rejected', `silence "${req.silence}" has already ended`, 'ACTION_INVALID');
  return finish(req.id, 'done', `silence ${target.id} ended`, null);
}
