// Certificates from the TLS handshake (#15 item 1, "a free second source"): the PVE client records
// the certificate each endpoint presents on the connections it makes anyway; the health tier stores
// it for the node behind the polled endpoint (source 'handshake') when the certificates read is
// due. Here the simulator answers /nodes/{node}/certificates/info with 403 (fault forbidden403), so
// the API source is missing: v_certificate_latest, the node page and status.json show the
// simulator's real certificate (fingerprint, notAfter) with its source, and the coverage names the
// 403. The handshake row disappears from the view when the API lists the same certificate.
import { readFileSync } from 'node:fs';
import type { X509Certificate } from 'node:crypto';
import { connect } from 'node:tls';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator } from '../../scripts/pve-sim/index.ts';
import type { SimHandle } from '../../scripts/pve-sim/types.ts';
import type { AgentParts } from '../../agent/main.ts';
import { writeAgentConfig, type AgentDirs } from '../support/agent-fixture.ts';
import { runAgentCycles } from '../support/agent-cycles.ts';
import { healthEveryAll } from '../../agent/config/health-config.schema.ts';

type Row = Record<string, unknown>;
let sim: SimHandle;
let now = Date.UTC(2026, 11, 7, 9, 30, 0);
let dirs: AgentDirs;
let agent: AgentParts;
let db: Database.Database;
let served: X509Certificate;

/** The certificate an endpoint serves, read by a TLS connection of the test's own (bounded). */
function servedCert(url: string): Promise<X509Certificate> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const s = connect({ host: u.hostname, port: Number(u.port), rejectUnauthorized: false, timeout: 10_000 }, () => {
      const x = s.getPeerX509Certificate();
      s.destroy();
      if (x) resolve(x);
      else reject(new Error(`${url}: no certificate`));
    });
    s.on('timeout', () => (s.destroy(), reject(new Error(`${url}: TLS connect timed out`))));
    s.on('error', reject);
  });
}

beforeAll(async () => {
  sim = await startSimulator({ seed: 3, authFailDelayMs: 50, now: () => now });
  sim.faults.set({ cluster: sim.clusters[0]!.name, path: '/nodes/{node}/certificates/info' }, { kind: 'forbidden403', path: '/nodes/pve1', privilege: 'Sys.Audit' });
  served = await servedCert(sim.clusters[0]!.endpoints[0]!.url);
  dirs = writeAgentConfig(sim, (c) => {
    c.clusters = c.clusters.slice(0, 1);
    c.health = { every: healthEveryAll(5) };
  });
  ({ agent, db } = await runAgentCycles(dirs, { cycles: 2, now: () => now, advance: (ms) => (now += ms) }));
}, 120_000);

afterAll(async () => {
  db?.close();
  await agent?.close();
  await sim?.stop();
});

const all = (q: string) => db.prepare(q).all() as Row[];

describe('the certificate from the TLS handshake', () => {
  it('is stored for the node behind the polled endpoint while the API answers 403', () => {
    expect(all("select node, state, privilege from v_health_coverage where signal = 'certificates' and state <> 'ok' order by node").map((r) => r.state)).toEqual(['forbidden', 'forbidden', 'forbidden']);
    const rows = all('select node, filename, source, fingerprint, notafter, subject, san from v_certificate_latest');
    const local = sim.world.clusters[0]!.nodes[0]!.name;
    expect(rows).toEqual([expect.objectContaining({ node: local, filename: `handshake ${new URL(sim.clusters[0]!.endpoints[0]!.url).host}`, source: 'handshake' })]);
    expect(rows[0]!.fingerprint).toBe(served.fingerprint256.toUpperCase());
    expect(rows[0]!.fingerprint).toBe(sim.fingerprint);
    expect(rows[0]!.notafter).toBe(Math.floor(Date.parse(served.validTo) / 1000));
    expect(String(rows[0]!.san)).toContain('127.0.0.1');
  });

  it('the node page and status.json show it with its source', () => {
    const site = (f: string) => readFileSync(join(dirs.site, 'current', f), 'utf8');
    const local = sim.world.clusters[0]!.nodes[0]!.name;
    const html = site(`nodes/${sim.clusters[0]!.name}/${local}.html`);
    expect(html).toMatch(/<td>handshake 127\.0\.0\.1:\d+<\/td><td>TLS handshake<\/td>/);
    const st = JSON.parse(site('status.json')) as { health: { certificates: Row[] } };
    expect(st.health.certificates).toEqual([expect.objectContaining({ node: local, source: 'handshake', notafter: Math.floor(Date.parse(served.validTo) / 1000) })]);
  });

  it('steps aside when the API lists the same certificate', () => {
    const w = new Database(dirs.database);
    try {
      w.prepare("insert into node_certificates (cluster_id, node, filename, source, fingerprint, notafter, last_seen) select cluster_id, node, 'pveproxy-ssl.pem', 'api', lower(fingerprint), notafter, last_seen from node_certificates where source = 'handshake'").run();
      expect((w.prepare('select filename, source from v_certificate_latest').all() as Row[])).toEqual([{ filename: 'pveproxy-ssl.pem', source: 'api' }]);
    } finally {
      w.close();
    }
  });
});
