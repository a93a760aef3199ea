// `pmi-agent check-config` against the real simulator over real HTTPS: a healthy cluster, a wrong
// pin, a wrong token, a dead endpoint, an unsafe secret file, an invalid config, insecure TLS; and
// a Proxmox Backup Server (the PBS simulator, same HTTPS pinning): a full token, a datastore without
// DatastoreAudit, a missing secret file, a wrong pin.
import { execFile } from 'node:child_process';
import { chmodSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../agent/cli.ts';
import { startSimulator, type SimHandle } from '../../scripts/pve-sim/index.ts';
import { startPbsSimulator, type PbsSimHandle } from '../../scripts/pve-sim/pbs-sim.ts';
import { writeAgentConfig, type AgentDirs } from '../support/agent-fixture.ts';

const REPO = resolve(import.meta.dirname, '../..');
const WRONG_PIN = Array.from({ length: 32 }, () => 'AB').join(':');

let sim: SimHandle;
let pbs: PbsSimHandle;
const dirs: AgentDirs[] = [];

beforeAll(async () => {
  sim = await startSimulator({ seed: 7, clusters: 1, nodesPerCluster: 2, guests: 6, authFailDelayMs: 50 });
  pbs = await startPbsSimulator({ now: () => Date.now() });
});
afterAll(async () => {
  await pbs?.stop();
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

describe('pmi-agent check-config with a Proxmox Backup Server (the PBS simulator)', () => {
  /** A config with the healthy cluster and one PBS server "pbs1"; its secret file written unless `secretFile` is false. */
  function pbsConfig(server: Record<string, unknown> = {}, secretFile = true): AgentDirs {
    const d = config((c) => {
      policy(c);
      c.pbs = [{ name: 'pbs1', endpoints: [pbs.url], tokenId: pbs.tokenId, tokenSecretFile: 'pbs-token', tls: { fingerprint: pbs.fingerprint }, ...server }];
    });
    if (secretFile) writeFileSync(join(d.dir, 'pbs-token'), `${pbs.tokenSecret}\n`, { mode: 0o600 });
    return d;
  }

  it('a full token: the server answers over pinned TLS and its datastore is readable, exit 0', async () => {
    const r = await check(pbsConfig().configPath);
    expect(r.err).toBe('');
    expect(r.out).toContain(`PBS server "pbs1" (token ${pbs.tokenId})\n  endpoints:\n    ${pbs.url}: reachable, PBS, 1 datastore listed; TLS pinned fingerprint OK (${pbs.fingerprint})\n`);
    expect(r.out).toContain('ok    datastore main: readable (4 backup groups)');
    expect(r.out).not.toContain('datastore secret');
    expect(r.out).toMatch(/OK: 1 cluster, 1 PBS server checked, 0 warnings\n$/);
    expect(r.code).toBe(0);
    expect(r.out).not.toContain(pbs.tokenSecret);
  });

  it('a configured datastore the token may not audit: a warning with the exact grant line, still exit 0', async () => {
    const r = await check(pbsConfig({ datastores: ['secret'] }).configPath);
    expect(r.out).toContain('ok    datastore main: readable (4 backup groups)');
    expect(r.out).toContain(`WARN  datastore secret: missing DatastoreAudit: its backups are not read; grant it with: proxmox-backup-manager acl update /datastore/secret DatastoreAudit --auth-id '${pbs.tokenId}'\n`);
    expect(r.out).toMatch(/OK: 1 cluster, 1 PBS server checked, 1 warning\n$/);
    expect(r.code).toBe(0);
  });

  it('a missing secret file: an error naming the server and the file, exit 1', async () => {
    const d = pbsConfig({}, false);
    const r = await check(d.configPath);
    expect(r.out).toContain(`PBS server "pbs1" (token ${pbs.tokenId})\n  findings:\n    ERROR token secret: PBS server "pbs1": cannot read token secret file ${join(d.dir, 'pbs-token')}: no such file\n`);
    expect(r.out).toMatch(/FAILED: 1 problem, 0 warnings\n$/);
    expect(r.code).toBe(1);
  });

  it('a wrong pin: expected and seen fingerprints, the server unreachable, exit 1', async () => {
    const r = await check(pbsConfig({ tls: { fingerprint: WRONG_PIN } }).configPath);
    expect(r.out).toContain(`${pbs.url}: NOT usable (PVE_TLS); TLS fingerprint MISMATCH: expected ${WRONG_PIN}, seen ${pbs.fingerprint}`);
    expect(r.out).toContain('ERROR no endpoint answered: no datastore of this server can be read');
    expect(r.code).toBe(1);
  });
});
