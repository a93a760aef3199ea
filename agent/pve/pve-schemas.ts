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

export interface ItemIssue {
  index: number;
  message: string;
}

/** Validates a list item by item: the good items, and one issue per bad item. A non-list is one issue. */
export function parseItems<T>(schema: z.ZodType<T>, data: unknown): { items: T[]; issues: ItemIssue[] } {
  if (!Array.isArray(data)) return { items: [], issues: [{ index: -1, message: `expected a list, got ${data === null ? 'null' : typeof data}` }] };
  const items: T[] = [];
  const issues: ItemIssue[] = [];
  data.forEach((raw, index) => {
    const r = schema.safeParse(raw);
    if (r.success) items.push(r.data);
    else issues.push({ index, message: z.prettifyError(r.error).replace(/\s+/g, ' ') });
  });
  return { items, issues };
}
