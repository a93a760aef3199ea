// One poll cycle over every configured cluster. Per cluster, in parallel: GET /version (cached,
// refreshed every few cycles or after a failure), /cluster/status, /cluster/resources (one call,
// no type filter), /cluster/tasks; then /nodes/{node}/status for each ONLINE node, concurrently. That is at most
// 4 requests per cluster + 1 per online node, never per guest (pve-api.md §3, §10, §11).
// Clusters run concurrently with a bound; each has a time budget, so a dead cluster costs at most
// that budget and never delays the others.
import { setMaxListeners } from 'node:events';
import type { ZodType } from 'zod';
import type { Logger } from '../log/logger.ts';
import { PmiError, errorMessage } from '../errors.ts';
import type { PveClient, PveClientStats, RequestOptions } from '../pve/pve-client.types.ts';
import { ClusterStatusItem, NodeStatusSchema, ResourceItem, TaskItem, VersionSchema, parseItems, type NodeStatus, type PveVersion } from '../pve/pve-schemas.ts';
import type { ClusterSnapshot, TaskRecord } from './cluster-snapshot.ts';
import { deriveRates, type RateState } from './derive-rates.ts';
import { mapClusterStatus, type ClusterMembership } from './map-cluster-status.ts';
import { mapNodeState } from './map-node-status.ts';
import { mapResources } from './map-resources.ts';
import { mapTask } from './map-tasks.ts';
import { mapPool } from './promise-pool.ts';
import { emptyTaskState, newTasks, tasksWithinRetention, type TaskTrackerState } from './task-tracker.ts';

export interface PollResult {
  /** Our configured cluster name. */
  cluster: string;
  ok: boolean;
  snapshot?: ClusterSnapshot;
  error?: { code: string; message: string };
  /** Set when pollAll's signal stopped this cluster's poll (the agent is stopping). */
  cancelled?: true;
  durationMs: number;
  /** HTTP requests made for this cluster this cycle (retries included). */
  requests: number;
  /** Failed requests plus response entries that were malformed and skipped. */
  errors: number;
  endpoint: string | null;
  /** Cycle start, epoch ms. */
  startedAt: number;
  /** Set when this entry reaches the same cluster as another entry: not polled/stored again. */
  duplicateOf?: string;
  /** Problems that did not fail the cluster (a node skipped, tasks unavailable, …). */
  warnings: string[];
  /** The same problems, structured for the store (poll_errors): which node, endpoint and path. */
  problems?: PollProblem[];
}

/** A problem one request had that did not fail its cluster's poll (issue 12 item 3). */
export interface PollProblem {
  /** The node the request was about; null for cluster-wide paths. */
  node: string | null;
  endpoint: string;
  path: string | null;
  code: string;
  message: string;
}

export interface PollerDeps {
  clients: Map<string, PveClient>;
  log: Logger;
  /** Epoch ms. */
  now: () => number;
  /** How many clusters are polled at once. */
  concurrency: number;
  /** Re-read /version every this many cycles (default 10) and after any failed cycle. */
  versionEveryCycles?: number;
  /** A known duplicate entry re-checks its identity (1 request) every this many cycles (default 10). */
  duplicateRecheckCycles?: number;
  /** Tasks that started longer ago than this are not passed on (retention.taskDays; default: all). */
  taskRetentionDays?: number;
  /** Time budget of one cluster's poll; default the client's timeoutMs (a dead cluster costs at most that). */
  clusterBudgetMs?: (client: PveClient) => number;
}

export interface PollAllOptions {
  /**
   * Aborting it (the agent is stopping) cancels the requests in flight and starts no further
   * cluster: pollAll then settles within moments instead of waiting up to a cluster's budget.
   * Cancelled clusters come back with ok false, error code PVE_TIMEOUT, `cancelled: true`.
   */
  signal?: AbortSignal;
  /** Poll only these configured clusters (the ones this agent holds the lease of; issue 17). Default: all. */
  only?: ReadonlySet<string>;
}

export interface Poller {
  pollAll(opts?: PollAllOptions): Promise<PollResult[]>;
  /** The PVE version last read from /version for a configured cluster. */
  version(cluster: string): PveVersion | undefined;
}

interface ClusterState {
  version?: PveVersion;
  versionCycle: number;
  lastOk: boolean;
  rates: RateState;
  tasks: TaskTrackerState;
  /** Name of the entry this one duplicates, learned from /cluster/status. */
  duplicateOf?: string;
  duplicateCheckedCycle: number;
  /** From /cluster/status: name + members, or the standalone node. */
  identity?: string;
}

interface Claim {
  owner: string;
  /** Position of the owner in the config. */
  order: number;
  /** The owner has produced its snapshot: too late to take over this cycle. */
  done: boolean;
  /** Owned last cycle: kept, whatever the config order. */
  sticky: boolean;
}

/**
 * Who polls the cluster behind `identity` this cycle: the entry that owned it last cycle, else
 * the earliest entry in the config order that gets there while the current owner is still polling.
 */
function claimIdentity(claims: Map<string, Claim>, identity: string, name: string, order: number): Claim {
  const c = claims.get(identity);
  if (!c) {
    const fresh = { owner: name, order, done: false, sticky: false };
    claims.set(identity, fresh);
    return fresh;
  }
  if (c.owner !== name && !c.sticky && !c.done && order < c.order) {
    c.owner = name;
    c.order = order;
  }
  return c;
}

/** Creates the poller; its state (versions, rate baselines, task watermarks, duplicates) lives across cycles. */
export function createPoller(deps: PollerDeps): Poller {
  const log = deps.log;
  const versionEvery = deps.versionEveryCycles ?? 10;
  const dupRecheck = deps.duplicateRecheckCycles ?? 10;
  const budgetOf = deps.clusterBudgetMs ?? ((c: PveClient) => c.timeoutMs ?? 10_000);
  const states = new Map<string, ClusterState>();
  let cycle = 0;
  const order = new Map([...deps.clients.keys()].map((n, i) => [n, i]));

  function stateOf(name: string): ClusterState {
    let s = states.get(name);
    if (!s) {
      s = { versionCycle: -Infinity, lastOk: false, rates: new Map(), tasks: emptyTaskState(), duplicateCheckedCycle: -Infinity };
      states.set(name, s);
    }
    return s;
  }

  async function pollCluster(client: PveClient, startedAt: number, claims: Map<string, Claim>, stop: AbortSignal | undefined): Promise<PollResult> {
    const name = client.cluster;
    const st = stateOf(name);
    const t0 = deps.now();
    const stats: PveClientStats = { requests: 0, errors: 0, retries: 0 };
    const warnings: string[] = [];
    const problems: PollProblem[] = [];
    let issues = 0;
    const ac = new AbortController();
    setMaxListeners(0, ac.signal); // one signal fans out to every request of the cluster's cycle (10+ at a large node count)
    const timer = setTimeout(() => ac.abort(), budgetOf(client));
    const onStop = () => ac.abort();
    stop?.addEventListener('abort', onStop, { once: true });
    const o: RequestOptions = { signal: ac.signal, stats };
    const clog = log.child({ cluster: name });
    const result = (extra: Partial<PollResult> & { ok: boolean }): PollResult => ({
      cluster: name,
      durationMs: deps.now() - t0,
      requests: stats.requests,
      errors: stats.errors + issues,
      endpoint: client.endpoint(),
      startedAt,
      warnings,
      problems,
      ...extra,
    });
    const warn = (msg: string, extra: { path?: string; node?: string; code?: string } = {}) => {
      warnings.push(msg);
      problems.push({ node: extra.node ?? null, endpoint: client.endpoint(), path: extra.path ?? null, code: extra.code ?? 'PVE_BAD_RESPONSE', message: msg });
      clog.warn({ endpoint: client.endpoint(), ...extra }, msg);
    };
    /** Validates a list answer item by item; bad entries are logged with endpoint and path and skipped. */
    const items = <T>(schema: ZodType<T>, data: unknown, path: string): T[] => {
      const p = parseItems(schema, data);
      if (p.issues.length) {
        issues += p.issues.length;
        warn(`${path} at ${client.endpoint()}: ${p.issues.length} malformed entr${p.issues.length === 1 ? 'y' : 'ies'} skipped (first: #${p.issues[0]!.index} ${p.issues[0]!.message})`, { path });
      }
      if (p.issues.length && p.issues[0]!.index === -1) throw new PmiError('PVE_BAD_RESPONSE', `${path} at ${client.endpoint()}: ${p.issues[0]!.message}`, { details: { endpoint: client.endpoint(), path } });
      return p.items;
    };

    try {
      if (stop?.aborted) throw new PmiError('PVE_TIMEOUT', `polling cluster ${name} cancelled: the agent is stopping`);
      // A known duplicate whose twin is healthy costs nothing, apart from a periodic identity check.
      const twin = st.duplicateOf ? states.get(st.duplicateOf) : undefined;
      if (st.duplicateOf && twin?.lastOk && cycle - st.duplicateCheckedCycle < dupRecheck) {
        return result({ ok: true, duplicateOf: st.duplicateOf });
      }

      // Healthy steady state: one round trip for the cluster-wide reads (they are independent),
      // then one for the nodes. After a failed cycle (and on the first one), and for a known
      // duplicate re-checking its identity, /cluster/status goes alone first as a probe, so a dead
      // endpoint or a wrong token costs one request, not four.
      const wantVersion = !st.version || !st.lastOk || cycle - st.versionCycle >= versionEvery;
      const getTasks = () =>
        client.get('/cluster/tasks', undefined, o).catch((err: unknown) => {
          if (ac.signal.aborted) throw err;
          warn(`/cluster/tasks failed: ${errorMessage(err)}; tasks skipped this cycle`, { path: '/cluster/tasks', code: (err as PmiError).code });
          return [];
        });
      const getVersion = () =>
        wantVersion
          ? client.get('/version', undefined, o).catch((err: unknown) => {
              if (ac.signal.aborted) throw err;
              return err instanceof Error ? err : new Error(String(err));
            })
          : Promise.resolve(undefined);
      const probe = Boolean(st.duplicateOf) || !st.lastOk;
      const first = probe ? [await client.get('/cluster/status', undefined, o)] : await Promise.all([client.get('/cluster/status', undefined, o), client.get('/cluster/resources', undefined, o), getTasks(), getVersion()]);

      const membership: ClusterMembership = mapClusterStatus(items(ClusterStatusItem, first[0], '/cluster/status'));
      const claim = claimIdentity(claims, membership.identity, name, order.get(name) ?? 0);
      const duplicate = () => {
        const owner = claim.owner;
        if (st.duplicateOf !== owner) {
          clog.warn({ duplicateOf: owner, identity: membership.identity }, `clusters "${owner}" and "${name}" in the config reach the same Proxmox ${membership.pveName ? `cluster "${membership.pveName}"` : `host "${membership.members[0]?.node}"`}: polling it once, as "${owner}"`);
        }
        st.duplicateOf = owner;
        st.duplicateCheckedCycle = cycle;
        return result({ ok: true, duplicateOf: owner });
      };
      if (claim.owner !== name) return duplicate();
      st.identity = membership.identity;
      st.duplicateOf = undefined;

      const [, resourcesRaw, tasksRaw, versionRaw] = probe ? [first[0], ...(await Promise.all([client.get('/cluster/resources', undefined, o), getTasks(), getVersion()]))] : first;
      if (versionRaw instanceof Error) {
        warn(`/version failed: ${versionRaw.message}; PVE version kept from before`, { path: '/version', code: (versionRaw as PmiError).code });
      } else if (versionRaw !== undefined) {
        const v = VersionSchema.safeParse(versionRaw);
        if (v.success) {
          st.version = v.data;
          st.versionCycle = cycle;
        } else {
          issues++;
          warn(`/version at ${client.endpoint()}: unexpected answer; PVE version unknown`, { path: '/version' });
        }
      }
      const res = mapResources(items(ResourceItem, resourcesRaw, '/cluster/resources'));

      const names = new Set<string>([...membership.members.map((m) => m.node), ...res.nodes.keys()]);
      const online = [...names].filter((n) => {
        const r = res.nodes.get(n);
        return r ? r.status === 'online' : Boolean(membership.members.find((m) => m.node === n)?.online);
      });
      const statuses = new Map<string, NodeStatus>();
      await Promise.all(
        online.map(async (node) => {
          const path = `/nodes/${encodeURIComponent(node)}/status`;
          try {
            const parsed = NodeStatusSchema.safeParse(await client.get(path, undefined, o));
            if (parsed.success) statuses.set(node, parsed.data);
            else {
              issues++;
              warn(`${path} at ${client.endpoint()}: malformed answer skipped`, { path, node });
            }
          } catch (err) {
            warn(`node ${node}: ${errorMessage(err)} — its details are skipped this cycle`, { path, node, code: (err as PmiError).code });
          }
        }),
      );
      // a node answer cut short by the stop is not a partial snapshot to store
      if (stop?.aborted) throw new PmiError('PVE_TIMEOUT', `polling cluster ${name} cancelled: the agent is stopping`);

      const ts = Math.floor(startedAt / 1000);
      const rated = deriveRates(name, ts, res.guests, st.rates);
      st.rates = rated.state;
      const mapped = items(TaskItem, tasksRaw, '/cluster/tasks').map(mapTask).filter((t): t is TaskRecord => t !== undefined);
      const taskRecords = deps.taskRetentionDays === undefined ? mapped : tasksWithinRetention(mapped, ts, deps.taskRetentionDays);
      const fresh = newTasks(taskRecords, st.tasks);
      st.tasks = fresh.state;

      // An entry earlier in the config reached the same cluster while we were polling: it wins.
      if (claim.owner !== name) return duplicate();
      claim.done = true;
      const snapshot: ClusterSnapshot = {
        cluster: name,
        ts,
        endpoint: client.endpoint(),
        info: {
          pveName: membership.pveName,
          quorate: membership.quorate,
          nodeCount: membership.nodeCount,
          pveVersion: st.version?.version ?? null,
          pveRelease: st.version?.release ?? null,
        },
        nodes: [...names].sort().map((n) => mapNodeState(n, membership.members.find((m) => m.node === n), res.nodes.get(n), statuses.get(n))),
        guests: rated.guests,
        storages: res.storages,
        tasks: fresh.tasks,
      };
      st.lastOk = true;
      return result({ ok: true, snapshot });
    } catch (err) {
      st.lastOk = false;
      if (stop?.aborted) {
        clog.info({ endpoint: client.endpoint() }, `polling cluster ${name} cancelled: the agent is stopping`);
        return result({ ok: false, cancelled: true, error: { code: 'PVE_TIMEOUT', message: `polling cluster ${name} cancelled: the agent is stopping` } });
      }
      const e = err instanceof PmiError ? err : new PmiError('PVE_BAD_RESPONSE', errorMessage(err), { cause: err });
      clog.error({ endpoint: client.endpoint(), code: e.code, err: e.message }, `polling cluster ${name} failed: ${e.message}`);
      return result({ ok: false, error: { code: e.code, message: e.message } });
    } finally {
      clearTimeout(timer);
      stop?.removeEventListener('abort', onStop);
    }
  }

  return {
    version: (cluster) => states.get(cluster)?.version,
    async pollAll(opts = {}) {
      cycle++;
      const startedAt = deps.now();
      const claims = new Map<string, Claim>();
      // Entries that owned an identity last cycle keep it, so the stored name stays stable.
      for (const [name, s] of states) if (s.identity && !s.duplicateOf && s.lastOk && deps.clients.has(name)) claims.set(s.identity, { owner: name, order: order.get(name) ?? 0, done: false, sticky: true });
      const clients = [...deps.clients.values()].filter((c) => !opts.only || opts.only.has(c.cluster));
      const results = await mapPool(clients, deps.concurrency, (c) => pollCluster(c, startedAt, claims, opts.signal));
      const sum = results.reduce((a, r) => ({ requests: a.requests + r.requests, failed: a.failed + (r.ok ? 0 : 1) }), { requests: 0, failed: 0 });
      log.debug({ cycle, clusters: results.length, ...sum, ms: deps.now() - startedAt }, 'poll cycle done');
      return results;
    },
  };
}
