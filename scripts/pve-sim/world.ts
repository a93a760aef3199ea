// The inspectable world state and how it moves with the clock: task endings, HA events and HA
// recovery are applied lazily by advance(), so a fake clock drives everything deterministically.
import type { Privileges } from './permissions.ts';
import type { PveProfile } from './profiles.ts';
import type { SimCluster, SimGuest, SimNode } from './types.ts';
import { makeGuest, makeNode, seedTasks } from './world-gen.ts';
import { makeHealth, seedJobTasks } from './health-world.ts';
import { startProcess, stopProcess } from './guest-state.ts';

const DAY = 86_400;

export interface WorldOptions {
  seed: number;
  clusters: number;
  nodesPerCluster: number;
  guests: number;
  standalone: boolean;
  hostileNames: boolean;
  profile: PveProfile;
  tokenId: string;
  taskTimeScale: number;
  now: () => number;
  privileges: Privileges;
}

/** The simulator's state: clusters, nodes, guests, tasks; readable by tests. */
export interface World {
  readonly seed: number;
  readonly profile: PveProfile;
  readonly clusters: SimCluster[];
  readonly tokenId: string;
  readonly taskTimeScale: number;
  /** The token's ACL (path → privileges). */
  readonly privileges: Privileges;
  /** Epoch milliseconds. */
  now(): number;
  cluster(name: string): SimCluster | undefined;
  guest(cluster: string, vmid: number): SimGuest | undefined;
  node(cluster: string, node: string): SimNode | undefined;
  /** Applies task endings and HA events that are due (called before every request). */
  advance(): void;
  /** Makes the guest ignore ACPI so a shutdown without forceStop times out. */
  setIgnoresAcpi(cluster: string, vmid: number, on: boolean): void;
  /** The next task of this guest fails with this exit status. */
  failNextTask(cluster: string, vmid: number, message: string): void;
}

/** Builds the deterministic world for the options. */
export function createWorld(o: WorldOptions): World {
  const anchor = Math.floor(o.now() / 1000 / DAY) * DAY;
  const clusters: SimCluster[] = [];
  const perCluster = Math.floor(o.guests / o.clusters);
  for (let ci = 0; ci < o.clusters; ci++) {
    const nodeCount = o.standalone ? 1 : o.nodesPerCluster;
    const nodes = Array.from({ length: nodeCount }, (_, ni) => makeNode(o, ci, ni, anchor));
    const count = perCluster + (ci < o.guests % o.clusters ? 1 : 0);
    const guests = new Map<number, SimGuest>();
    for (let j = 0; j < count; j++) {
      const g = makeGuest(o, ci, j, nodes, anchor);
      guests.set(g.vmid, g);
    }
    const name = `cluster${ci + 1}`;
    const cluster: SimCluster = { index: ci, name, pveName: o.standalone ? null : name, nodes, guests, tasks: [], pending: [], configVersion: nodeCount + 2, failNext: new Map() };
    seedTasks(o, cluster, anchor);
    cluster.health = makeHealth(o.seed, cluster, o.profile, anchor);
    seedJobTasks(o.seed, cluster, cluster.health, anchor);
    clusters.push(cluster);
  }
  const byName = new Map(clusters.map((c) => [c.name, c]));
  const world: World = {
    seed: o.seed,
    profile: o.profile,
    clusters,
    tokenId: o.tokenId,
    taskTimeScale: o.taskTimeScale,
    privileges: o.privileges,
    now: o.now,
    cluster: (name) => byName.get(name),
    guest: (c, vmid) => byName.get(c)?.guests.get(vmid),
    node: (c, n) => byName.get(c)?.nodes.find((x) => x.name === n),
    advance() {
      const nowMs = o.now();
      for (const c of clusters) advanceCluster(c, nowMs);
    },
    setIgnoresAcpi(c, vmid, on) {
      const g = world.guest(c, vmid);
      if (g) g.ignoresAcpi = on;
    },
    failNextTask(c, vmid, message) {
      byName.get(c)?.failNext.set(vmid, message);
    },
  };
  return world;
}

/**
 * HA recovery: guests of a node offline for 60 s are fenced, after 120 s they are recovered
 * (started) on the first online node, as the HA manager does once the failed node is fenced.
 */
function haRecovery(c: SimCluster, nowMs: number): void {
  const target = c.nodes.find((n) => n.offlineSince === null);
  for (const n of c.nodes) {
    if (n.offlineSince === null || nowMs / 1000 - n.offlineSince < 60) continue;
    for (const g of c.guests.values()) {
      if (g.node !== n.name || g.hastate === undefined || g.hastate === 'stopped' || g.hastate === 'disabled' || g.hastate === 'error') continue;
      const recoverAt = n.offlineSince + 120;
      if (nowMs / 1000 < recoverAt || !target) {
        g.hastate = 'fence';
        continue;
      }
      g.node = target.name;
      if (g.status === 'running') stopProcess(g, n.offlineSince);
      startProcess(g, recoverAt, target);
      g.hastate = 'started';
    }
  }
}

/** Ends due tasks (applying their effects) and runs due HA events, in time order. */
export function advanceCluster(c: SimCluster, nowMs: number): void {
  haRecovery(c, nowMs);
  for (;;) {
    let next: { at: number; run: () => void } | undefined;
    for (const t of c.tasks) {
      if (!t.done && t.endMs <= nowMs && (!next || t.endMs < next.at)) {
        next = {
          at: t.endMs,
          run: () => {
            t.done = true;
            t.cleanup?.();
            if (t.exitstatus === 'OK' || t.exitstatus.startsWith('WARNINGS')) t.effect?.();
          },
        };
      }
    }
    for (const [i, p] of c.pending.entries()) {
      if (p.atMs <= nowMs && (!next || p.atMs < next.at)) {
        next = {
          at: p.atMs,
          run: () => {
            c.pending.splice(i, 1);
            p.run();
          },
        };
      }
    }
    if (!next) return;
    next.run();
  }
}
