// zod schemas of the Proxmox answers we read (pve-api.md §3–§8). Tolerant on purpose: numbers may
// arrive as strings (loadavg, old LXC vmid), booleans as 0/1, extra fields are ignored and most
// fields are optional. Lists are validated item by item (see parseItems), so one odd entry costs
// that entry, not the whole answer.
import { z } from 'zod';

/** A number, or a numeric string ("0.12", "106"); anything else fails. */
export const Num = z.preprocess((v) => (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v)) ? Number(v) : v), z.number().finite());
/** Perl booleans: 0/1 (also "0"/"1", true/false). */
export const Bool01 = z.preprocess((v) => (v === 1 || v === '1' || v === true ? true : v === 0 || v === '0' || v === '' || v === false ? false : v), z.boolean());

/** An optional field that, when present but unusable, counts as absent instead of failing the item. */
function opt<T extends z.ZodType>(t: T) {
  return t.optional().catch(undefined);
}
const OptNum = opt(Num);
const OptStr = opt(z.coerce.string());
const OptBool = opt(Bool01);

/** GET /version (§3.1). */
export const VersionSchema = z.object({ version: z.coerce.string(), release: OptStr, repoid: OptStr });
export type PveVersion = z.infer<typeof VersionSchema>;

/** One entry of GET /cluster/status (§3.2). */
export const ClusterStatusItem = z.object({
  type: z.string(),
  id: OptStr,
  name: z.coerce.string(),
  nodes: OptNum,
  quorate: OptBool,
  version: OptNum,
  nodeid: OptNum,
  online: OptBool,
  local: OptBool,
  ip: OptStr,
  level: OptStr,
});
export type ClusterStatusItem = z.infer<typeof ClusterStatusItem>;

/** One entry of GET /cluster/resources (§3.3): qemu, lxc, node, storage, pool, sdn, network. */
export const ResourceItem = z.object({
  id: z.coerce.string(),
  type: z.string(),
  status: OptStr,
  node: OptStr,
  vmid: OptNum,
  name: OptStr,
  template: OptBool,
  uptime: OptNum,
  cpu: OptNum,
  maxcpu: OptNum,
  mem: OptNum,
  maxmem: OptNum,
  memhost: OptNum,
  disk: OptNum,
  maxdisk: OptNum,
  netin: OptNum,
  netout: OptNum,
  diskread: OptNum,
  diskwrite: OptNum,
  lock: OptStr,
  tags: OptStr,
  pool: OptStr,
  hastate: OptStr,
  level: OptStr,
  storage: OptStr,
  plugintype: OptStr,
  content: OptStr,
  shared: OptBool,
});
export type ResourceItem = z.infer<typeof ResourceItem>;

/** GET /nodes/{node}/status (§4.2). */
export const NodeStatusSchema = z.object({
  cpu: OptNum,
  wait: OptNum,
  loadavg: opt(z.array(Num)),
  uptime: OptNum,
  cpuinfo: opt(z.object({ model: OptStr, cpus: OptNum, sockets: OptNum, cores: OptNum, mhz: OptNum })),
  memory: opt(z.object({ total: OptNum, used: OptNum, free: OptNum, available: OptNum })),
  swap: opt(z.object({ total: OptNum, used: OptNum, free: OptNum })),
  rootfs: opt(z.object({ total: OptNum, used: OptNum, avail: OptNum, free: OptNum })),
  kversion: OptStr,
  pveversion: OptStr,
});
export type NodeStatus = z.infer<typeof NodeStatusSchema>;

/** One entry of GET /cluster/tasks (§7.5). */
export const TaskItem = z.object({
  upid: z.string(),
  node: OptStr,
  type: OptStr,
  id: OptStr,
  user: OptStr,
  tokenid: OptStr,
  starttime: OptNum,
  endtime: OptNum,
  status: OptStr,
});
export type TaskItem = z.infer<typeof TaskItem>;

/** One row of …/rrddata (§8): time plus data sources; unknown samples are simply missing. */
export const RrdRow = z.record(z.string(), z.unknown()).transform((r, ctx) => {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(r)) {
    const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
    if (Number.isFinite(n)) out[k] = n;
  }
  if (out.time === undefined) ctx.addIssue({ code: 'custom', message: 'rrd row without time' });
  return out as Record<string, number> & { time: number };
});
export type RrdRow = z.infer<typeof RrdRow>;

/** One entry of /cluster/metrics/export (§3.4). */
export const MetricItem = z.object({ id: z.coerce.string(), metric: z.string(), timestamp: Num, type: OptStr, value: Num });
export type MetricItem = z.infer<typeof MetricItem>;

// --- a fast path for the one big list ----------------------------------------------------------
// /cluster/resources has one entry per guest: at 10,000 guests zod's per-field pipelines
// (preprocess → optional → catch) made ~2 MB of garbage per 200-entry cluster, most of the
// poller's allocation per cycle (measured), which grows the heap and so the RSS. This parser
// gives exactly what ResourceItem.safeParse gives (test/unit/pve-schemas-fast.test.ts compares
// them on random and captured input) and hands anything it cannot decide alone — an entry that
// is not an object, a non-string type, a missing id or one String() throws on — to zod, which reports it.

type FieldKind = 'num' | 'str' | 'bool';

/** Num + .optional().catch(undefined): a finite number, a numeric string as a number, else undefined. */
function looseNum(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v === 'string' && v.trim() !== '') {
    const n = Number(v);
    return Number.isFinite(n) ? n : undefined;
  }
  return undefined;
}

/** z.coerce.string().optional().catch(undefined). */
function looseStr(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (v === undefined) return undefined; // .optional() comes first
  try {
    return String(v);
  } catch {
    return undefined;
  }
}

/** Bool01 + .optional().catch(undefined). */
function looseBool(v: unknown): boolean | undefined {
  if (v === 1 || v === '1' || v === true) return true;
  if (v === 0 || v === '0' || v === '' || v === false) return false;
  return undefined;
}

const LOOSE: Record<FieldKind, (v: unknown) => unknown> = { num: looseNum, str: looseStr, bool: looseBool };

/** The optional fields of ResourceItem in schema order (as zod outputs them). */
const RESOURCE_FIELDS: ReadonlyArray<readonly [string, FieldKind]> = Object.entries(ResourceItem.shape)
  .filter(([k]) => k !== 'id' && k !== 'type')
  .map(([k, t]) => [k, t === OptNum ? 'num' : t === OptStr ? 'str' : t === OptBool ? 'bool' : fail(k)] as const);

function fail(k: string): never {
  throw new Error(`pve-schemas: ResourceItem.${k} has a field type the fast parser does not know`);
}

/** ResourceItem.safeParse(raw).data without zod, or undefined: then zod decides (and reports). */
export function fastResourceItem(raw: unknown): ResourceItem | undefined {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return undefined;
  const r = raw as Record<string, unknown>;
  // zod rejects a missing id (an id present as undefined coerces to "undefined")
  if (typeof r.type !== 'string' || !('id' in r)) return undefined;
  let id: string;
  try {
    id = String(r.id);
  } catch {
    return undefined;
  }
  const out: Record<string, unknown> = { id, type: r.type };
  for (const [k, kind] of RESOURCE_FIELDS) if (k in r) out[k] = LOOSE[kind](r[k]);
  return out as ResourceItem;
}

/** Schemas with a fast path that parseItems tries first. */
const FAST = new Map<z.ZodType, (raw: unknown) => unknown>([[ResourceItem, fastResourceItem]]);

export interface ItemIssue {
  index: number;
  message: string;
}

/** Validates a list item by item: the good items, and one issue per bad item. A non-list is one issue. */
export function parseItems<T>(schema: z.ZodType<T>, data: unknown): { items: T[]; issues: ItemIssue[] } {
  if (!Array.isArray(data)) return { items: [], issues: [{ index: -1, message: `expected a list, got ${data === null ? 'null' : typeof data}` }] };
  const items: T[] = [];
  const issues: ItemIssue[] = [];
  const fast = FAST.get(schema) as ((raw: unknown) => T | undefined) | undefined;
  data.forEach((raw, index) => {
    const f = fast?.(raw);
    if (f !== undefined) {
      items.push(f);
      return;
    }
    const r = schema.safeParse(raw);
    if (r.success) items.push(r.data);
    else issues.push({ index, message: z.prettifyError(r.error).replace(/\s+/g, ' ') });
  });
  return { items, issues };
}
