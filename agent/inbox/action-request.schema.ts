// Request format v1 of a dropped action file (documented in agent/inbox/README.md).
import { z } from 'zod';

/** Idempotency key: also the result file's name, so only file-name-safe characters. */
export const ActionId = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, 'use 1–128 characters from A-Z a-z 0-9 . _ - (starting with a letter or digit)');

const Vmid = z.number().int().min(100).max(999_999_999);
const NodeName = z.string().regex(/^[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?$/, 'a Proxmox node name (letters, digits, "-")');
const SnapName = z
  .string()
  .regex(/^[A-Za-z][A-Za-z0-9_-]{1,39}$/, 'a snapshot name: 2–40 characters, a letter first, then letters, digits, "_" or "-"')
  .refine((s) => s !== 'current', '"current" is reserved by Proxmox');

/**
 * A point in time: ISO 8601 with a time zone, or epoch seconds. Numbers that look like
 * milliseconds are refused rather than guessed, so a request never silently expires in 1970 or 50000.
 */
export const TimePoint = z.union([
  z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/, 'ISO 8601 with a time zone, e.g. "2026-11-27T04:00:00Z"')
    .refine((s) => !Number.isNaN(Date.parse(s)), 'not a valid date'),
  z.number().int().min(0).max(99_999_999_999, 'epoch SECONDS expected (this looks like milliseconds)'),
]);
export type TimePoint = z.infer<typeof TimePoint>;

/** Epoch seconds of a TimePoint. */
export function toEpochSeconds(t: TimePoint): number {
  return typeof t === 'number' ? t : Math.floor(Date.parse(t) / 1000);
}

const Common = {
  version: z.literal(1, 'the format version must be 1'),
  id: ActionId,
  cluster: z.string().min(1).max(63),
  vmid: Vmid,
  node: NodeName.optional(),
  notBefore: TimePoint.optional(),
  expires: TimePoint.optional(),
  reason: z.string().max(1000).optional(),
};

const NoParams = z.object({}).strict().optional();

function variant<A extends string, P extends z.ZodType>(action: A, params: P) {
  return z.object({ ...Common, action: z.literal(action), params }).strict();
}

/** The request schema: one variant per action, discriminated by `action`. */
export const ActionRequest = z.discriminatedUnion('action', [
  variant('start', NoParams),
  variant(
    'shutdown',
    z.object({ timeoutSeconds: z.number().int().min(1).max(86_400).optional(), forceStop: z.boolean().optional() }).strict().optional(),
  ),
  variant('stop', NoParams),
  variant('reboot', z.object({ timeoutSeconds: z.number().int().min(1).max(86_400).optional() }).strict().optional()),
  variant('reset', NoParams),
  variant('suspend', z.object({ toDisk: z.boolean().optional() }).strict().optional()),
  variant('resume', NoParams),
  variant(
    'snapshot',
    z.object({ name: SnapName, description: z.string().max(8192).optional(), includeRam: z.boolean().optional() }).strict(),
  ),
  variant('rollback', z.object({ name: SnapName, start: z.boolean().optional() }).strict()),
  variant('delete-snapshot', z.object({ name: SnapName }).strict()),
  variant('migrate', z.object({ target: NodeName, online: z.boolean().optional() }).strict()),
], { error: (iss) => (iss.code === 'invalid_union' ? 'action must be one of start, shutdown, stop, reboot, reset, suspend, resume, snapshot, rollback, delete-snapshot, migrate' : undefined) });

export type ActionRequest = z.infer<typeof ActionRequest>;
