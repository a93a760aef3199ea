// Silence requests, pure: the file format (kind "silence" / "end-silence" in the inbox's request
// format v1) and the policy check. Documented in agent/alerts/README.md.
import { z } from 'zod';
import { ActionId, TimePoint, toEpochSeconds } from '../inbox/action-request.schema.ts';
import { LabelMatcher, type SilencePolicyRule } from './alerts-config.schema.ts';

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

/** Checks a silence against the policy; a reason when refused. */
export function silencePolicyVerdict(policy: readonly SilencePolicyRule[], req: z.infer<typeof SilenceRequest>, submitter: string | null, nowSec: number): string | undefined {
  const starts = req.startsAt === undefined ? nowSec : toEpochSeconds(req.startsAt);
  const ends = toEpochSeconds(req.expires);
  if (ends <= nowSec) return `the silence expires at ${new Date(ends * 1000).toISOString()}, which has passed`;
  if (ends <= starts) return 'expires must be after startsAt';
  if (policy.length === 0) return 'no silence policy is configured (alerts.silencePolicy is empty), so nobody may silence';
  const clusters = req.matchers.filter((m) => m.label === 'cluster' && m.op === '=').map((m) => m.value);
  const hours = (ends - Math.max(starts, nowSec)) / 3600;
  for (const rule of policy) {
    if (rule.submitters && (submitter === null || !rule.submitters.includes(submitter))) continue;
    if (rule.clusters && !(clusters.length > 0 && clusters.every((c) => rule.clusters!.includes(c)))) continue;
    if (hours > rule.maxHours) return `the silence would last ${hours.toFixed(1)} h; the policy allows at most ${rule.maxHours} h`;
    return undefined;
  }
  return `no silence policy rule allows ${submitter ?? 'this submitter'} to silence ${clusters.length ? `cluster ${clusters.join(', ')}` : 'without pinning a cluster (add a matcher cluster="…")'}`;
}
