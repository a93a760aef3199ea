// The agent's place in a fleet (issue 17 item 2), as main.ts uses it: its id, its lease keeper,
// which clusters to poll, and whether the fleet-wide duties (site, rollups and pruning, alert
// rules) are this agent's this cycle. Alone on a database the agent holds everything, as before.
import { hostname } from 'node:os';
import type { Kysely } from 'kysely';
import type { Config } from '../config/config.schema.ts';
import type { Logger } from '../log/logger.ts';
import type { Database } from '../store/schema.ts';
import { SITE_LEASE } from '../store/fleet-schema.ts';
import { claimAction } from '../store/action-claim.repository.ts';
import type { InboxFleet } from '../inbox/inbox-context.ts';
import { createLeaseKeeper, defaultLeaseMs, type LeaseKeeper } from './lease-keeper.ts';
import { cyclePhaseMs } from './cycle-phase.ts';
import { awaitFleetCycle, type FleetCycleWait } from './fleet-cycle.ts';

export interface Fleet {
  agentId: string;
  shared: boolean;
  keeper: LeaseKeeper;
  /** Clusters to poll this cycle (after the cycle's lease tick). */
  pollOnly(): Promise<Set<string>>;
  /** Site, maintenance, health history pruning, alert rules and notification delivery run on the holder of the site lease only. */
  fleetDuties(): boolean;
  /** The site is built here: the fleet's publisher, or a copy asked for by agent.publishCopy. */
  buildsSite(): boolean;
  /** Called when leases were taken between cycles (main.ts triggers a cycle). */
  onGained(fn: () => void): void;
  /**
   * Where in the interval this agent's cycles fire (ms): agent.phaseSeconds when set; shared, this
   * agent's slot among the live agents, the site holder last (cycle-phase.ts); alone, 0 (the
   * clock's boundaries).
   */
  phaseMs(): number;
  /**
   * Before the fleet duties of the cycle started at `cycleStartMs`: the site holder of a shared
   * database with computed phases waits (bounded) until the other agents' clusters have stored this
   * interval (fleet-cycle.ts). Resolves at once (undefined) everywhere else: alone, not the
   * holder, or with agent.phaseSeconds set (the holder may then fire before the others).
   */
  awaitFleetCycle(cycleStartMs: number, stopping?: () => boolean): Promise<FleetCycleWait | undefined>;
}

export interface FleetDeps {
  config: Readonly<Config>;
  db: Kysely<Database>;
  log: Logger;
  now: () => number;
  intervalSeconds: number;
  pid?: number;
  host?: string;
}

/** The agent id from the config, else the host name. */
export function agentIdOf(config: Readonly<Config>, host = hostname()): string {
  return config.agent.id ?? host;
}

/** Builds the fleet part; keeper.start() registers the agent and takes its leases. */
export function createFleet(deps: FleetDeps): Fleet {
  const a = deps.config.agent;
  const host = deps.host ?? hostname();
  let gained: (() => void) | undefined;
  const keeper = createLeaseKeeper({
    db: deps.db,
    log: deps.log,
    now: deps.now,
    agentId: agentIdOf(deps.config, host),
    host,
    pid: deps.pid ?? process.pid,
    clusters: deps.config.clusters.map((c) => c.name),
    intervalSeconds: deps.intervalSeconds,
    leaseMs: defaultLeaseMs(deps.intervalSeconds, a.shared, a.leaseSeconds),
    shared: a.shared,
    publishCopy: a.publishCopy,
    onAcquired: () => gained?.(),
  });
  return {
    agentId: agentIdOf(deps.config, host),
    shared: a.shared,
    keeper,
    // Alone (the start lock is held) the leases are bookkeeping for the agent page: the agent does
    // everything as before, even while a locked database keeps it from renewing them.
    async pollOnly() {
      await keeper.tick();
      return a.shared ? keeper.heldClusters() : new Set(deps.config.clusters.map((c) => c.name));
    },
    fleetDuties: () => !a.shared || keeper.holds(SITE_LEASE),
    buildsSite: () => !a.shared || a.publishCopy || keeper.holds(SITE_LEASE),
    onGained: (fn) => (gained = fn),
    phaseMs: () => {
      const intervalMs = deps.intervalSeconds * 1000;
      if (a.phaseSeconds !== undefined) return Math.round(a.phaseSeconds * 1000) % intervalMs;
      return a.shared ? cyclePhaseMs(agentIdOf(deps.config, host), keeper.liveAgents(), intervalMs, keeper.siteHolder()) : 0;
    },
    async awaitFleetCycle(cycleStartMs, stopping) {
      if (!a.shared || a.phaseSeconds !== undefined || !keeper.holds(SITE_LEASE)) return undefined;
      if (keeper.liveAgents().length < 2) return undefined;
      const w = await awaitFleetCycle({ db: deps.db, agentId: agentIdOf(deps.config, host), intervalSeconds: deps.intervalSeconds, now: deps.now, ...(stopping && { stopping }) }, cycleStartMs);
      if (w.behind > 0) deps.log.info(w, `${w.behind} clusters of other agents had not stored this interval after ${w.waitedMs} ms: the fleet duties go on with their previous cycle`);
      return w;
    },
  };
}

/** The inbox's view of the fleet: claims go to the database, holding is the keeper's. */
export function inboxFleet(fleet: Fleet, db: Kysely<Database>, now: () => number): InboxFleet {
  return {
    agentId: fleet.agentId,
    claim: (id) => claimAction(db, id, fleet.agentId, now()),
    holds: (cluster) => fleet.keeper.holds(cluster),
  };
}
