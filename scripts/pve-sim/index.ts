// The Proxmox VE simulator: startSimulator(opts) builds a deterministic world and serves the
// API of pve-api.md over HTTPS on 127.0.0.1, one listener per node endpoint.
import { writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { getCa, getChangedCert, getNodeCert } from './certs.ts';
import { createFaultRegistry, type FaultEntry } from './faults.ts';
import { FULL_PRIVILEGES } from './permissions.ts';
import { makeProfile } from './profiles.ts';
import { hashInts } from './rng.ts';
import { createRouter } from './router.ts';
import { allRoutes } from './routes/index.ts';
import { createEndpointServer, type EndpointServer } from './server.ts';
import type { Fault, FaultTarget, SimHandle, SimOptions, SimStats } from './types.ts';
import { createWorld } from './world.ts';

export type { Fault, FaultTarget, SimCluster, SimGuest, SimHandle, SimNode, SimOptions, SimStats, SimTask } from './types.ts';
export type { World } from './world.ts';
export { backupInProgress, repairHealth, type HealthTestState } from './health-world.ts';

/** The default token secret: a UUID derived from the seed. */
export function secretForSeed(seed: number): string {
  const hex = [0, 1, 2, 3].map((i) => hashInts(seed, 0x5ec, i).toString(16).padStart(8, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

function emptyStats(): SimStats {
  return { requests: 0, byPath: {}, byMethod: {}, byRoute: {}, byCluster: {} };
}

/** Starts the simulator; resolves once every endpoint listens. */
export async function startSimulator(opts: SimOptions = {}): Promise<SimHandle> {
  const seed = opts.seed ?? 1;
  const clusters = Math.max(1, opts.clusters ?? 1);
  const tokenId = opts.tokenId ?? 'pmi@pve!agent';
  const tokenSecret = opts.tokenSecret ?? secretForSeed(seed);
  const now = opts.now ?? (() => Date.now());
  const profile = makeProfile(opts.pveVersion ?? 8, opts.pveManagerVersion);
  const world = createWorld({
    seed,
    clusters,
    nodesPerCluster: Math.max(1, opts.nodesPerCluster ?? 3),
    guests: Math.max(0, opts.guests ?? 20),
    standalone: opts.standalone ?? false,
    hostileNames: opts.hostileNames ?? false,
    profile,
    tokenId,
    taskTimeScale: opts.taskTimeScale ?? 1,
    now,
    privileges: opts.privileges ?? FULL_PRIVILEGES,
  });
  const [caCert, mainCert, changedCert] = await Promise.all([getCa(), getNodeCert(), getChangedCert()]);
  let stats = emptyStats();
  const router = createRouter(allRoutes);
  const endpoints = new Map<string, { ep: EndpointServer; changed: boolean }>();
  const key = (c: string, n: string) => `${c}\u0000${n}`;

  const applyFaults = (entries: readonly FaultEntry[]) => {
    const nowSec = now() / 1000;
    for (const c of world.clusters) {
      for (const n of c.nodes) {
        const off = entries.some((e) => e.fault.kind === 'offline' && e.target.cluster === c.name && (e.target.node === undefined || e.target.node === n.name));
        if (off && n.offlineSince === null) n.offlineSince = nowSec;
        if (!off) n.offlineSince = null;
        const changed = entries.some((e) => e.fault.kind === 'certChanged' && e.target.cluster === c.name && (e.target.node === undefined || e.target.node === n.name));
        const slot = endpoints.get(key(c.name, n.name));
        if (slot && slot.changed !== changed) {
          slot.changed = changed;
          slot.ep.setCert(changed ? changedCert : mainCert);
          slot.ep.dropConnections();
        }
        if (off) slot?.ep.dropConnections();
      }
    }
  };
  const registry = createFaultRegistry(applyFaults);
  const fingerprintOf = (cluster: string) => (node: string) => (endpoints.get(key(cluster, node))?.changed ? changedCert.fingerprint : mainCert.fingerprint);

  const handleClusters: SimHandle['clusters'] = [];
  let port = opts.basePort ?? 0;
  for (const c of world.clusters) {
    const eps: Array<{ node: string; url: string }> = [];
    for (const n of c.nodes) {
      const ep = createEndpointServer({
        world,
        cluster: c,
        node: n,
        router,
        faults: registry,
        get stats() {
          return stats;
        },
        tokenId,
        tokenSecret,
        latencyMs: opts.latencyMs ?? 0,
        authFailDelayMs: opts.authFailDelayMs ?? 3000,
        keepAliveTimeoutMs: opts.keepAliveTimeoutMs ?? 5000,
        cert: mainCert,
        fingerprint: fingerprintOf(c.name),
      });
      await new Promise<void>((resolve, reject) => {
        ep.server.once('error', reject);
        ep.server.listen(port, '127.0.0.1', () => resolve());
      });
      const actual = (ep.server.address() as AddressInfo).port;
      if (opts.basePort) port++;
      endpoints.set(key(c.name, n.name), { ep, changed: false });
      eps.push({ node: n.name, url: `https://127.0.0.1:${actual}` });
    }
    handleClusters.push({ name: c.name, pveName: c.pveName, endpoints: eps });
  }
  if (opts.fingerprintFile) await writeFile(opts.fingerprintFile, `${mainCert.fingerprint}\n`);

  return {
    clusters: handleClusters,
    fingerprint: mainCert.fingerprint,
    certPem: mainCert.cert,
    caPem: caCert.cert,
    tokenId,
    tokenSecret,
    faults: {
      set(target: FaultTarget, fault: Fault) {
        if (fault.kind === 'taskFail') {
          world.failNextTask(target.cluster, fault.vmid, fault.message ?? `VM ${fault.vmid} simulated failure`);
          return;
        }
        registry.set(target, fault);
      },
      clear: (target) => registry.clear(target),
    },
    stats: () => structuredClone(stats),
    resetStats() {
      stats = emptyStats();
    },
    world,
    async stop() {
      await Promise.all(
        [...endpoints.values()].map(
          ({ ep }) =>
            new Promise<void>((resolve) => {
              ep.server.close(() => resolve());
              ep.server.closeAllConnections();
              ep.dropConnections();
            }),
        ),
      );
    },
  };
}
