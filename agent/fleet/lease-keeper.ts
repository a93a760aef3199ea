// Holds this agent's leases (issue 17 item 2): at start it registers the agent and takes what is
// free; each tick renews its leases once half of the lease has passed and takes over any wanted
// lease that is free, released or expired. Alone on a database (not `agent.shared`) it ticks only
// at cycle starts (one renewal every few cycles: no other write); shared, it also ticks on its own
// timer, a quarter of the lease, so a dead agent's clusters move within ~1.25 leases whatever the
// cycles are doing. stop() releases every lease so another agent takes over at its next tick.
import type { Kysely } from 'kysely';
import type { Logger } from '../log/logger.ts';
import type { Database } from '../store/schema.ts';
import { SITE_LEASE } from '../store/fleet-schema.ts';
import { acquireLease, markAgentStopped, readLeases, registerAgent, releaseLeases, renewLeases } from '../store/lease.repository.ts';
import { errorMessage } from '../errors.ts';
import { planLeases } from './lease-plan.ts';
import { leaseHolder, liveAgents } from './cycle-phase.ts';

export interface LeaseKeeperDeps {
  db: Kysely<Database>;
  log: Logger;
  /** Epoch ms. */
  now: () => number;
  agentId: string;
  host: string;
  pid: number;
  /** Configured cluster names: the clusters this agent may hold. */
  clusters: readonly string[];
  intervalSeconds: number;
  leaseMs: number;
  shared: boolean;
  publishCopy: boolean;
  /** Timer period when shared (default leaseMs / 4). */
  tickMs?: number;
  /** Called when a tick took leases that were not held before (the agent then polls at once). */
  onAcquired?: (names: string[]) => void;
}

export interface LeaseKeeper {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Renews and takes leases as due; failures are logged (the leases held keep their expiry). */
  tick(): Promise<void>;
  /** True while this agent holds the lease `name` (a cluster name or SITE_LEASE) unexpired. */
  holds(name: string): boolean;
  /** The configured clusters held now. */
  heldClusters(): Set<string>;
  /** This agent and the holders of unexpired leases at the last tick, sorted by id. */
  liveAgents(): string[];
  /** The holder of the site lease at the last tick (this agent's own view counts first), if any. */
  siteHolder(): string | undefined;
}

/** The default lease: one interval when shared (failover within two), three alone (renewed every other cycle). */
export function defaultLeaseMs(intervalSeconds: number, shared: boolean, leaseSeconds?: number): number {
  return (leaseSeconds ?? (shared ? intervalSeconds : 3 * intervalSeconds)) * 1000;
}

/** Creates the keeper; nothing is read or written before start(). */
export function createLeaseKeeper(deps: LeaseKeeperDeps): LeaseKeeper {
  const { db, log, now, agentId: me, leaseMs } = deps;
  const wanted = [...deps.clusters, SITE_LEASE];
  /** name → expiry (epoch ms) of the leases this agent holds. */
  const held = new Map<string, number>();
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let stopped = false;
  let live = [me];
  let siteHolder: string | undefined;

  let registered = false;
  async function register(): Promise<void> {
    await registerAgent(db, { id: me, host: deps.host, pid: deps.pid, nowMs: now(), intervalSeconds: deps.intervalSeconds, leaseMs, clusters: [...deps.clusters], publishCopy: deps.publishCopy });
    registered = true;
  }

  async function tickOnce(): Promise<void> {
    // a database locked by a reader at start-up must not stop the agent: registered at a later tick
    if (!registered) await register();
    const t = now();
    const leases = await readLeases(db);
    live = liveAgents(me, leases, t);
    siteHolder = leaseHolder(SITE_LEASE, leases, t);
    const plan = planLeases({ me, wanted, leases, nowMs: t, leaseMs, force: !deps.shared });
    const lost = [...held.keys()].filter((n) => !plan.held.includes(n) && !plan.acquire.some((a) => a.name === n && a.prev?.holder === me));
    for (const n of lost) {
      held.delete(n);
      log.warn({ lease: n }, `lease ${n} was taken over by another agent`);
    }
    if (plan.renew) {
      await renewLeases(db, me, t, leaseMs);
      for (const n of plan.held) held.set(n, t + leaseMs);
    } else {
      for (const l of leases) if (plan.held.includes(l.cluster)) held.set(l.cluster, l.expiresMs);
    }
    const gained: string[] = [];
    for (const a of plan.acquire) {
      if (stopped) break;
      if (await acquireLease(db, me, a.name, a.prev, a.reason, t, leaseMs)) {
        if (!held.has(a.name)) gained.push(a.name);
        held.set(a.name, t + leaseMs);
        if (a.prev && a.prev.holder !== me) log.info({ lease: a.name, from: a.prev.holder, reason: a.reason }, `took over lease ${a.name} from ${a.prev.holder} (${a.reason})`);
      }
    }
    if (gained.length) {
      log.info({ leases: gained }, `holding ${gained.join(', ')}`);
      deps.onAcquired?.(gained);
    }
  }

  async function tick(): Promise<void> {
    if (stopped) return;
    if (running) return running;
    running = tickOnce()
      .catch((err: unknown) => log.error({ err }, `lease tick failed: ${errorMessage(err)}`))
      .finally(() => (running = undefined));
    return running;
  }

  function arm(): void {
    if (stopped || !deps.shared) return;
    timer = setTimeout(() => {
      void tick().finally(arm);
    }, deps.tickMs ?? Math.max(250, Math.floor(leaseMs / 4)));
  }

  // Expiry is judged on our own clock with a margin: a lease about to lapse is not relied upon.
  const holds = (name: string) => (held.get(name) ?? 0) > now();

  return {
    async start() {
      await tick();
      arm();
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
      held.clear();
      try {
        const names = await releaseLeases(db, me, now());
        await markAgentStopped(db, me, now());
        if (names.length) log.info({ leases: names }, 'leases released');
      } catch (err) {
        log.error({ err }, `releasing the leases failed (they expire on their own): ${errorMessage(err)}`);
      }
    },
    tick,
    holds,
    heldClusters: () => new Set(deps.clusters.filter(holds)),
    liveAgents: () => live,
    siteHolder: () => (holds(SITE_LEASE) ? me : siteHolder === me ? undefined : siteHolder),
  };
}
