// Silence requests, pure: the file format (kind "silence" / "end-silence" in the inbox's request
// format v1) and the policy check. Documented in agent/alerts/README.md.
import { z } from 'zod';
import { ActionId, TimePoint, toEpochSeconds } from '../inbox/action-request.schema.ts';
import type { PolicyRule } from '../config/config.schema.ts';
import { ruleMatches, submitterMatches, type PolicyGuest, type PolicySubmitter } from '../inbox/policy.ts';
import { LabelMatcher } from './alerts-config.schema.ts';

export const SilenceRequest = z
  .object({
    version: z.literal(1, 'the format version must be 1'),
    kind: z.literal('silence'),
    id: ActionId,
    matchers: z.array(LabelMatcher).min(1, 'a silence needs at least one matcher'),
    startsAt: TimePoint.optional(),
    /** Required: a silence always ends by itself. */
    expires: TimePoint,
    reason: z.string().min(1, 'say why').max(1000),
  })
  .strict();
export const EndSilenceRequest = z
  .object({
    version: z.literal(1, 'the format version must be 1'),
    kind: z.literal('end-silence'),
    id: ActionId,
    /** The id of the silence to end. */
    silence: ActionId,
    reason: z.string().min(1, 'say why').max(1000),
  })
  .strict();
export const SilenceFile = z.discriminatedUnion('kind', [SilenceRequest, EndSilenceRequest]);
export type SilenceFile = z.infer<typeof SilenceFile>;

/** The `kind` of a request text when it is one of ours, else undefined (then it is an action). */
export function silenceKind(text: string): 'silence' | 'end-silence' | undefined {
  try {
    const v = JSON.parse(text.replace(/^\uFEFF/, '')) as unknown;
    const k = v && typeof v === 'object' ? (v as { kind?: unknown }).kind : undefined;
    return k === 'silence' || k === 'end-silence' ? k : undefined;
  } catch {
    return undefined;
  }
}

/** The guest a silence pins with `cluster="…"` and `vmid="…"` matchers (one each), else undefined. Pure. */
export function pinnedGuest(matchers: readonly LabelMatcher[]): { cluster: string; vmid: number } | undefined {
  const eq = (label: string) => [...new Set(matchers.filter((m) => m.label === label && m.op === '=').map((m) => m.value))];
  const [clusters, vmids] = [eq('cluster'), eq('vmid')];
  return clusters.length === 1 && vmids.length === 1 && /^\d+$/.test(vmids[0]!) ? { cluster: clusters[0]!, vmid: Number(vmids[0]) } : undefined;
}

const DEFAULT_MAX_SILENCE_HOURS = 24 * 7;

/**
 * Checks a silence against actions.policy (#16: the same policy as actions): a rule granting
 * `silence` allows it when its users/groups match the submitter and every selector it gives is
 * pinned by the silence's "=" matchers — `clusters` by cluster, `vmids` by vmid, `tags`/`pools`
 * by the one guest the silence pins (`guest`, looked up by the caller). A reason when refused.
 */
export function silencePolicyVerdict(policy: readonly PolicyRule[], req: z.infer<typeof SilenceRequest>, submitter: PolicySubmitter, nowSec: number, guest?: PolicyGuest): string | undefined {
  const starts = req.startsAt === undefined ? nowSec : toEpochSeconds(req.startsAt);
  const ends = toEpochSeconds(req.expires);
  if (ends <= nowSec) return `the silence expires at ${new Date(ends * 1000).toISOString()}, which has passed`;
  if (ends <= starts) return 'expires must be after startsAt';
  if (!policy.some((r) => r.actions.includes('silence'))) return 'no rule of actions.policy grants "silence", so nobody may silence';
  const pinned = (label: string) => req.matchers.filter((m) => m.label === label && m.op === '=').map((m) => m.value);
  const clusters = pinned('cluster');
  const vmids = pinned('vmid');
  const hours = (ends - Math.max(starts, nowSec)) / 3600;
  let longest = 0;
  for (const rule of policy) {
    if (!rule.actions.includes('silence') || !submitterMatches(rule, submitter)) continue;
    if (rule.clusters && !(clusters.length > 0 && clusters.every((c) => rule.clusters!.includes(c)))) continue;
    if (rule.vmids && !(vmids.length > 0 && vmids.every((v) => rule.vmids!.includes(Number(v))))) continue;
    if ((rule.tags || rule.pools) && !(guest && ruleMatches({ ...rule, actions: ['silence'], clusters: undefined, vmids: undefined }, 'silence', guest, submitter))) continue;
    const max = rule.maxSilenceHours ?? DEFAULT_MAX_SILENCE_HOURS;
    if (hours <= max) return undefined;
    longest = Math.max(longest, max);
  }
  if (longest > 0) return `the silence would last ${hours.toFixed(1)} h; actions.policy allows at most ${longest} h`;
  const who = submitter.user ?? (submitter.uid === null ? 'this submitter' : `uid ${submitter.uid}`);
  const what = [clusters.length ? `cluster ${clusters.join(', ')}` : 'without pinning a cluster (matcher cluster="…")', vmids.length ? `vmid ${vmids.join(', ')}` : ''].filter(Boolean).join(', ');
  return `no rule of actions.policy allows ${who} to silence ${what}`;
}
