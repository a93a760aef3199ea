// The builder's state, persisted with each release by the publisher (state/<release>.json) and
// read back at start, so that a restart is an ordinary cycle: what is due is decided from the
// same roll marks, chunk lists and page digests as if the process had kept running.
import { z } from 'zod';
import type { BucketState } from './render-guest-buckets.ts';
import type { FleetPlanState } from './roll-schedule.ts';

const Part = z.object({
  raw: z.number(), html: z.number(), day: z.number(), long: z.number(), rawCut: z.number(),
  chunks: z.array(z.tuple([z.number(), z.number()])),
  dayCut: z.number(),
  dayChunks: z.array(z.tuple([z.number(), z.number()])),
  longs: z.array(z.number()).optional(),
});

const SiteStateSchema = z.object({
  buckets: z.record(z.string(), z.object({ digest: z.string(), vmids: z.string(), parts: z.array(Part) })),
  nodeRoll: z.object({ day: z.number(), long: z.number() }),
  nodePages: z.record(z.string(), z.object({ ts: z.number(), digest: z.string() })),
  pageDigests: z.record(z.string(), z.string()),
});

export interface SiteState extends FleetPlanState {
  buckets: Map<string, BucketState>;
}

/** The state of a site never built: everything is due. */
export function emptySiteState(): SiteState {
  return { buckets: new Map(), nodeRoll: { day: 0, long: 0 }, nodePages: new Map(), pageDigests: new Map() };
}

/** The JSON value persisted with a release. */
export function serializeSiteState(s: SiteState): unknown {
  return {
    buckets: Object.fromEntries(s.buckets),
    nodeRoll: s.nodeRoll,
    nodePages: Object.fromEntries(s.nodePages),
    pageDigests: Object.fromEntries(s.pageDigests),
  };
}

/** Parses a persisted state; a problem is reported with its path (the caller then builds in full). */
export function parseSiteState(value: unknown): { ok: true; state: SiteState } | { ok: false; error: string } {
  const r = SiteStateSchema.safeParse(value);
  if (!r.success) return { ok: false, error: r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ') };
  const d = r.data;
  return {
    ok: true,
    state: {
      buckets: new Map(Object.entries(d.buckets)),
      nodeRoll: d.nodeRoll,
      nodePages: new Map(Object.entries(d.nodePages)),
      pageDigests: new Map(Object.entries(d.pageDigests)),
    },
  };
}
