// The config the simulator CLI writes (--write-config) is one the agent accepts.
import { describe, expect, it } from 'vitest';
import { Config } from '../../agent/config/config.schema.ts';
import { simConfig } from '../../scripts/pve-sim/sim-config.ts';

describe('simulator config writer', () => {
  it('produces a config the agent schema accepts, with every node as an endpoint and the fingerprint pinned', () => {
    const fp = Array.from({ length: 32 }, (_, i) => (i * 7).toString(16).padStart(2, '0').toUpperCase()).join(':');
    const sim = {
      tokenId: 'pmi@pve!agent',
      fingerprint: fp,
      clusters: [
        { name: 'cluster1', pveName: 'cluster1', endpoints: [{ node: 'c1-pve1', url: 'https://127.0.0.1:18006' }, { node: 'c1-pve2', url: 'https://127.0.0.1:18007' }] },
        { name: 'cluster2', pveName: null, endpoints: [{ node: 'c2-pve1', url: 'https://127.0.0.1:18008' }] },
      ],
    };
    const parsed = Config.safeParse(simConfig(sim, { secretFile: '/tmp/x/config.json.token-secret' }));
    expect(parsed.success ? [] : parsed.error.issues).toEqual([]);
    const cfg = parsed.data!;
    expect(cfg.clusters[0]!.endpoints).toEqual(['https://127.0.0.1:18006', 'https://127.0.0.1:18007']);
    expect(cfg.clusters[1]!.tls.fingerprint).toBe(fp);
    expect(JSON.stringify(cfg)).not.toMatch(/tokenSecret"/);
  });
});
