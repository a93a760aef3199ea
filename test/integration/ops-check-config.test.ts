// `pmi-agent check-config` against the real simulator over real HTTPS: a healthy cluster, a wrong
// pin, a wrong token, a dead endpoint, an unsafe secret file, an invalid config, insecure TLS.
import { execFile } from 'node:child_process';
import { chmodSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../agent/cli.ts';
import { startSimulator, type SimHandle } from '../../scripts/pve-sim/index.ts';
import { writeAgentConfig, type AgentDirs } from '../support/agent-fixture.ts';

const REPO = resolve(import.meta.dirname, '../..');
const WRONG_PIN = Array.from({ length: 32 }, () => 'AB').join(':');

let sim: SimHandle;
const dirs: AgentDirs[] = [];

beforeAll(async () => {
  sim = await startSimulator({ seed: 7, clusters: 1, nodesPerCluster: 2, guests: 6, authFailDelayMs: 50 });
});
afterAll(async () => {
  await sim?.stop();
  for (const d of dirs) rmSync(d.dir, { recursive: true, force: true });
});

type Patch = NonNullable<Parameters<typeof writeAgentConfig>[1]>;

function config(patch: Patch, secret?: string): AgentDirs {
  // The metrics file next to the config: this machine has no /run/pmi-agent (tmpfiles.d's job).
  const d = writeAgentConfig(sim, (c) => { c.metrics = { file: 'metrics' }; patch(c); }, secret);
  dirs.push(d);
  return d;
}

async function check(configPath: string, env: NodeJS.ProcessEnv = {}) {
  let out = '';
  let err = '';
  const code = await runCli(['check-config', '--config', configPath], { stdout: (t) => (out += t), stderr: (t) => (err += t), env });
  return { code, out, err };
}

const policy: Patch = (c) => (c.actions = { policy: [{ actions: ['start', 'shutdown', 'snapshot', 'rollback', 'migrate'] }] });

describe('pmi-agent check-config against the simulator', () => {
  it('reports a healthy cluster: endpoints, pinned TLS, PVE version, privileges, exit 0', async () => {
    const d = config(policy);
    const r = await check(d.configPath);
    expect(r.err).toBe('');
    const name = sim.clusters[0]!.name;
    expect(r.out).toContain(`cluster "${name}" (token ${sim.tokenId})`);
    for (const e of sim.clusters[0]!.endpoints) expect(r.out).toContain(`${e.url}: reachable, PVE `);
    expect(r.out).toContain(`TLS pinned fingerprint OK (${sim.fingerprint})`);
    expect(r.out).toMatch(/nodes online 2\/2/);
    expect(r.out).toContain('ok    polling: Sys.Audit, VM.Audit and Datastore.Audit are granted');
    expect(r.out).toContain('ok    actions: privileges in place for start, shutdown, snapshot, rollback, migrate');
    expect(r.out).toContain('actions policy (who may do what where):\n    actions.policy[0]: every member of the submit group may start, shutdown, snapshot, rollback, migrate on every cluster\n');
    expect(r.out).toMatch(/OK: 1 cluster checked, 0 warnings\n$/);
    expect(r.code).toBe(0);
    expect(r.out).not.toContain(sim.tokenSecret);
  });

  it('names expected and seen fingerprints on a pin mismatch, exit 1', async () => {
    const d = config((c) => (c.clusters[0].tls = { fingerprint: WRONG_PIN }));
    const r = await check(d.configPath);
    expect(r.out).toContain(`fingerprint MISMATCH: expected ${WRONG_PIN}, seen ${sim.fingerprint}`);
    expect(r.out).toContain('ERROR no endpoint answered: nothing can be polled');
    expect(r.code).toBe(1);
  });

  it('says the token was rejected for a wrong secret, and never prints either secret', async () => {
    const wrong = 'canary-0000-wrong-secret-4242';
    const d = config(() => {}, wrong);
    const r = await check(d.configPath);
    expect(r.out).toMatch(/the token pmi@pve!\S+ was rejected \(401\)/);
    expect(r.code).toBe(1);
    expect(r.out + r.err).not.toContain(wrong);
    expect(r.out + r.err).not.toContain(sim.tokenSecret);
  });

  it('reports a dead endpoint next to a working one', async () => {
    const d = config((c) => c.clusters[0].endpoints.unshift('https://127.0.0.1:1'));
    const r = await check(d.configPath);
    expect(r.out).toMatch(/https:\/\/127\.0\.0\.1:1: NOT usable \(PVE_UNREACHABLE\); TLS not reached/);
    expect(r.out).toContain(`${sim.clusters[0]!.endpoints[0]!.url}: reachable`);
    expect(r.code).toBe(1);
  });

  it('refuses a group-readable secret file with the chmod fix', async () => {
    const d = config(() => {});
    chmodSync(join(d.dir, 'token'), 0o644);
    const r = await check(d.configPath);
    expect(r.out).toContain(`ERROR token secret: cluster "${sim.clusters[0]!.name}": token secret file ${join(d.dir, 'token')} is readable by group/others (mode 0644); run chmod 600 ${join(d.dir, 'token')}`);
    expect(r.code).toBe(1);
  });

  it('reads a systemd credential from $CREDENTIALS_DIRECTORY', async () => {
    const d = config((c) => {
      delete c.clusters[0].tokenSecretFile;
      c.clusters[0].tokenSecretCredential = 'token';
    });
    expect((await check(d.configPath)).out).toContain('$CREDENTIALS_DIRECTORY');
    const r = await check(d.configPath, { CREDENTIALS_DIRECTORY: d.dir });
    expect(r.code).toBe(0);
  });

  it('warns about insecure TLS and an inline secret but passes', async () => {
    const d = config((c) => {
      delete c.clusters[0].tokenSecretFile;
      c.clusters[0].tokenSecret = sim.tokenSecret;
      c.clusters[0].tls = { insecure: true };
    });
    const r = await check(d.configPath);
    expect(r.out).toContain('TLS NOT verified ("insecure": true)');
    expect(r.out).toMatch(/WARN .*the token secret is written in the config file/);
    expect(r.out).toMatch(/WARN .*TLS is NOT verified/);
    expect(r.out).toMatch(/OK: 1 cluster checked, 4 warnings/); // inline secret, 2 endpoints insecure, token can act but policy is empty
    expect(r.code).toBe(0);
    expect(r.out).not.toContain(sim.tokenSecret);
  });

  it('lists every config problem with its path and exits 78', async () => {
    const d = config((c) => {
      c.pollIntervalSeconds = 1;
      c.clusters[0].endpoints = ['http://plain'];
      delete c.paths.inbox;
    });
    const r = await check(d.configPath);
    expect(r.code).toBe(78);
    expect(r.out).toBe('');
    expect(r.err).toContain('3 problems');
    expect(r.err).toContain('pollIntervalSeconds:');
    expect(r.err).toContain('clusters[0].endpoints[0]:');
    expect(r.err).toContain('paths.inbox:');
  });

  it('works through the command (agent/bin/pmi-agent.ts, from sources under tsx)', async () => {
    const d = config(policy);
    // Asynchronously: the simulator answering it lives in this process.
    const r = await promisify(execFile)(process.execPath, ['--import', 'tsx', join(REPO, 'agent/bin/pmi-agent.ts'), 'check-config', '-c', d.configPath], { timeout: 30_000 });
    expect(r.stdout).toMatch(/OK: 1 cluster checked/);
  });
});
