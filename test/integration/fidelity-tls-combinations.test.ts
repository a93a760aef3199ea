// Regression (issue 12 item 7): `"insecure": true` beside `"caFile"` turned verification off
// silently while check-config said "TLS verified against CA". Every combination of the three TLS
// keys is run through `pmi-agent check-config` against the simulator over real HTTPS, and what
// check-config says must be what the client does.
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../agent/cli.ts';
import { startSimulator, type SimHandle } from '../../scripts/pve-sim/index.ts';
import { writeAgentConfig, type AgentDirs } from '../support/agent-fixture.ts';

/** A CA bundle that did not sign the simulator's certificate (Debian's public roots). */
const FOREIGN_CA = '/etc/ssl/certs/ca-certificates.crt';

let sim: SimHandle;
const dirs: AgentDirs[] = [];

beforeAll(async () => {
  sim = await startSimulator({ seed: 12, clusters: 1, nodesPerCluster: 1, guests: 2, authFailDelayMs: 50 });
});
afterAll(async () => {
  await sim?.stop();
  for (const d of dirs) rmSync(d.dir, { recursive: true, force: true });
});

interface Tls { fingerprint?: boolean; caFile?: 'sim' | 'foreign'; insecure?: boolean }

async function checkWith(tls: Tls) {
  const d = writeAgentConfig(sim, (c) => {
    c.actions = { policy: [{ actions: ['start'] }] };
    c.clusters[0].endpoints = [sim.clusters[0]!.endpoints[0]!.url];
    const t: Record<string, unknown> = {};
    if (tls.fingerprint) t.fingerprint = sim.fingerprint;
    // relative paths in the config are relative to its folder
    if (tls.caFile) t.caFile = tls.caFile === 'sim' ? 'ca.pem' : FOREIGN_CA;
    if (tls.insecure !== undefined) t.insecure = tls.insecure;
    c.clusters[0].tls = t;
  });
  dirs.push(d);
  const caPath = tls.caFile === 'sim' ? join(d.dir, 'ca.pem') : FOREIGN_CA;
  writeFileSync(join(d.dir, 'ca.pem'), sim.caPem ?? sim.certPem);
  let out = '';
  let err = '';
  const code = await runCli(['check-config', '--config', d.configPath], { stdout: (t) => (out += t), stderr: (t) => (err += t), env: {} });
  return { code, out, err, caPath };
}

const CONTRADICTION = 'clusters[0].tls.insecure: "insecure": true turns TLS verification off and cannot be combined with "fingerprint" or "caFile"';

describe('TLS settings: every combination, against check-config\'s words', () => {
  it('none of the three keys is a config error (exit 78)', async () => {
    const r = await checkWith({});
    expect(r.code).toBe(78);
    expect(r.err).toContain('clusters[0].tls: TLS must be verified');
  });

  it('"insecure": false alone is a config error too', async () => {
    const r = await checkWith({ insecure: false });
    expect(r.code).toBe(78);
    expect(r.err).toContain('clusters[0].tls: TLS must be verified');
  });

  it('fingerprint: "pinned fingerprint OK", exit 0', async () => {
    const r = await checkWith({ fingerprint: true, insecure: false });
    expect(r.out).toContain(`TLS pinned fingerprint OK (${sim.fingerprint})\n`);
    expect(r.code).toBe(0);
  });

  it('caFile that signed the certificate: "verified against CA", exit 0', async () => {
    const r = await checkWith({ caFile: 'sim' });
    expect(r.out).toContain(`TLS verified against CA ${r.caPath}\n`);
    expect(r.code).toBe(0);
  });

  it('caFile that did not sign it: the CA is really checked, "TLS failed", exit 1', async () => {
    const r = await checkWith({ caFile: 'foreign' });
    expect(r.out).toMatch(/NOT usable \(PVE_TLS\); TLS failed: /);
    expect(r.out).not.toContain('verified against CA');
    expect(r.code).toBe(1);
  });

  it('fingerprint and caFile: both are checked and both are named', async () => {
    const ok = await checkWith({ fingerprint: true, caFile: 'sim' });
    expect(ok.out).toContain(`TLS pinned fingerprint OK (${sim.fingerprint}) and verified against CA ${ok.caPath}\n`);
    expect(ok.code).toBe(0);
    const foreign = await checkWith({ fingerprint: true, caFile: 'foreign' });
    expect(foreign.out).toMatch(/NOT usable \(PVE_TLS\); TLS failed: /);
    expect(foreign.code).toBe(1);
  });

  it('insecure alone: "NOT verified", a warning, exit 0', async () => {
    const r = await checkWith({ insecure: true });
    expect(r.out).toContain('TLS NOT verified ("insecure": true)\n');
    expect(r.out).toMatch(/WARN .*TLS is NOT verified/);
    expect(r.code).toBe(0);
  });

  it.each<[string, Tls]>([
    ['insecure + caFile (used to say "verified against CA" while not verifying)', { insecure: true, caFile: 'sim' }],
    ['insecure + fingerprint', { insecure: true, fingerprint: true }],
    ['insecure + fingerprint + caFile', { insecure: true, fingerprint: true, caFile: 'sim' }],
  ])('%s is a config error naming tls.insecure (exit 78), nothing is contacted', async (_name, tls) => {
    const r = await checkWith(tls);
    expect(r.code).toBe(78);
    expect(r.out).toBe('');
    expect(r.err).toContain(CONTRADICTION);
    expect(r.err).not.toContain('verified against CA');
  });
});
