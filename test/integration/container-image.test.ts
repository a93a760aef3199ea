// The container image (container/Containerfile), built and run for real with podman: built from
// `npm run build` on a base image made here (test/support/podman.ts), run against the simulator on
// the host's loopback the way container/README.md says for an inbox fed by host users (host ids,
// host passwd/group read-only, host directories as volumes), and checked for: the site appearing
// in its volume, the health check turning healthy and then unhealthy when the simulator stops,
// a submitter seen with their own host uid and name, non-root on a read-only root, the secret in
// no inspect output, environment or log, no compiler / bundler / dev dependency in the image, and
// `podman stop` ending it within 30 s with exit 0. Then container/pmi-dashboard.kube.yaml starts
// the agent and nginx (container/nginx.Containerfile) in one pod with the image defaults, and nginx
// serves what the agent publishes. Every container, pod, secret, volume and throw-away user
// (pmi18*) is removed at the end, also on failure (and at the start, after an aborted run).
// Skipped only where podman cannot run. The image size is printed ([container] lines).
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../scripts/build.ts';
import { startSimulator } from '../../scripts/pve-sim/index.ts';
import type { SimHandle } from '../../scripts/pve-sim/types.ts';
import { BASE_IMAGE, LIMITS, ensureBaseImage, freePort, podman, podmanUnavailable } from '../support/podman.ts';

const SKIP = podmanUnavailable();
const TAG = 'localhost/pmi-agent:test';
const NGINX_TAG = 'localhost/pmi-nginx:test';
/** The image's own pmi-agent uid/gid (Containerfile ARG PMI_UID / PMI_GID). */
const IMAGE_UID = 10001;
const POD = 'pmi18-dashboard';
const POD_VOLUMES = ['pmi18-db', 'pmi18-inbox', 'pmi18-site'];
const CTR = 'pmi18-agent';
const SECRET = 'pmi18-token';
const AGENT = 'pmi18agent';
const SUBMIT = 'pmi18submit';
const ALICE = 'pmi18alice';

const log = (line: string) => process.stdout.write(`[container] ${line}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const idOf = (kind: 'u' | 'g', name: string) => Number(spawnSync('id', [`-${kind}`, name], { encoding: 'utf8' }).stdout.trim());
const gidOf = (name: string) => Number(spawnSync('getent', ['group', name], { encoding: 'utf8' }).stdout.split(':')[2]);

/** Polls `check` every second until it returns a value, failing after `limitMs` with `explain()`. */
async function waitFor<T>(what: string, limitMs: number, check: () => Promise<T | undefined> | T | undefined, explain: () => Promise<string> | string): Promise<T> {
  const end = Date.now() + limitMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`${what}: not within ${limitMs / 1000} s\n${await explain()}`);
    await sleep(1000);
  }
}

/** Removes what a run (this one or an aborted earlier one) may have left: never throws. */
async function cleanUp(): Promise<void> {
  await podman(['rm', '--force', '--volumes', '--time', '0', CTR], { allowFail: true });
  await podman(['pod', 'rm', '--force', '--time', '0', POD], { allowFail: true });
  await podman(['volume', 'rm', '--force', ...POD_VOLUMES], { allowFail: true });
  await podman(['secret', 'rm', SECRET], { allowFail: true });
  for (const u of [ALICE, AGENT]) spawnSync('userdel', [u]);
  for (const g of [SUBMIT, AGENT]) spawnSync('groupdel', [g]);
}

/** The agent's config for the simulator, with the container's paths and the secret file at `secretFile`. */
function agentConfig(sim: SimHandle, secretFile: string) {
  return {
    clusters: sim.clusters.map((c) => ({
      name: c.name,
      endpoints: c.endpoints.map((e) => e.url),
      tokenId: sim.tokenId,
      tokenSecretFile: secretFile,
      tls: { fingerprint: sim.fingerprint },
      timeoutMs: 3000,
    })),
    pollIntervalSeconds: 5,
    paths: { database: '/var/lib/pmi-agent/pmi.sqlite', site: '/var/www/pmi-dashboard', inbox: '/var/spool/pmi-agent/inbox' },
    poll: { retries: 0 },
  };
}

describe.skipIf(SKIP)(`container image${SKIP ? ` — SKIPPED: ${SKIP}` : ''}`, () => {
  let app = '';
  let host = '';
  let sim: SimHandle | undefined;
  let sizeMb = 0;
  const logs = async () => (await podman(['logs', CTR], { allowFail: true })).stdout.slice(-4000) + (await podman(['logs', CTR], { allowFail: true })).stderr.slice(-4000);

  beforeAll(async () => {
    await cleanUp();
    const t0 = performance.now();
    log(`base image: ${await ensureBaseImage(log)} (${Math.round((performance.now() - t0) / 1000)} s)`);
    const t1 = performance.now();
    app = mkdtempSync(join(tmpdir(), 'pmi-image-app-'));
    await buildApp({ outDir: app });
    const ca = process.env.NODE_EXTRA_CA_CERTS;
    const caArgs = ca && existsSync(ca) ? ['--volume', `${ca}:/run/build-ca.crt:ro`, '--build-arg', 'NODE_EXTRA_CA_CERTS=/run/build-ca.crt'] : [];
    // docker format: the OCI image format has no HEALTHCHECK (podman would drop it)
    await podman(['build', '--format', 'docker', '--network', 'host', ...LIMITS, ...caArgs, '--build-arg', `BASE=${BASE_IMAGE}`, '--tag', TAG, '--file', join(app, 'container/Containerfile'), app], { timeoutMs: 2_400_000 });
    sizeMb = Number((await podman(['image', 'inspect', '--format', '{{.Size}}', TAG])).stdout.trim()) / 1e6;
    log(`image ${TAG}: ${sizeMb.toFixed(1)} MB (target <= 250 MB), app build + image build ${Math.round((performance.now() - t1) / 1000)} s`);

    // The host side, as container/README.md sets it up for submitters on the host.
    spawnSync('groupadd', ['--system', AGENT]);
    spawnSync('groupadd', ['--system', SUBMIT]);
    spawnSync('useradd', ['--system', '--gid', AGENT, '--groups', SUBMIT, '--no-create-home', '--shell', '/usr/sbin/nologin', AGENT]);
    spawnSync('useradd', ['--no-create-home', '--groups', SUBMIT, '--shell', '/bin/sh', ALICE]);
    const [uid, gid, submitGid, wwwGid] = [idOf('u', AGENT), idOf('g', AGENT), gidOf(SUBMIT), gidOf('www-data')];
    // under /var/tmp: alice must be able to reach the inbox (vitest's temp root is private)
    host = mkdtempSync('/var/tmp/pmi18-image-host-');
    chmodSync(host, 0o755);
    const dir = (p: string, mode: number, u: number, g: number) => {
      mkdirSync(join(host, p), { recursive: true });
      chownSync(join(host, p), u, g);
      chmodSync(join(host, p), mode);
    };
    dir('lib', 0o750, uid, gid);
    dir('inbox', 0o2750, uid, submitGid);
    for (const d of ['tmp', 'new']) dir(`inbox/${d}`, 0o2770, uid, submitGid);
    for (const d of ['cur', 'done', 'failed', 'rejected']) dir(`inbox/${d}`, 0o2750, uid, submitGid);
    dir('site', 0o2750, uid, Number.isInteger(wwwGid) ? wwwGid : gid);

    sim = await startSimulator({ seed: 18, nodesPerCluster: 2, guests: 4 });
    const config = agentConfig(sim, `/run/secrets/${SECRET}`);
    // /etc/pmi-agent as install.sh makes it (0750 root:pmi-agent, config 0640), mounted whole: the
    // image's own /etc/pmi-agent belongs to the image's pmi-agent group, not the host's
    dir('etc', 0o750, 0, gid);
    writeFileSync(join(host, 'etc/config.json'), JSON.stringify(config, null, 2));
    chownSync(join(host, 'etc/config.json'), 0, gid);
    chmodSync(join(host, 'etc/config.json'), 0o640);
    // the secret goes into podman's secret store from a root-only file (podman 4.3 reads `-` only
    // from a FIFO, and node's stdin pipes are sockets), never through a command line or environment
    const secretDir = mkdtempSync(join(tmpdir(), 'pmi-image-secret-'));
    try {
      writeFileSync(join(secretDir, 'token'), sim.tokenSecret, { mode: 0o600 });
      await podman(['secret', 'create', SECRET, join(secretDir, 'token')]);
    } finally {
      rmSync(secretDir, { recursive: true, force: true });
    }
    await podman([
      'run', '--detach', '--name', CTR, '--network', 'host', '--read-only', ...LIMITS,
      '--user', `${uid}:${gid}`, '--group-add', String(submitGid),
      '--volume', '/etc/passwd:/etc/passwd:ro', '--volume', '/etc/group:/etc/group:ro',
      '--volume', `${join(host, 'etc')}:/etc/pmi-agent:ro`,
      '--volume', `${join(host, 'lib')}:/var/lib/pmi-agent`,
      '--volume', `${join(host, 'inbox')}:/var/spool/pmi-agent/inbox`,
      '--volume', `${join(host, 'site')}:/var/www/pmi-dashboard`,
      // podman 4.3 mounts secrets before the read-only root's tmpfs on /run: give them their own
      '--tmpfs', '/run/secrets:mode=0755', '--secret', `${SECRET},type=mount,uid=${uid},gid=${gid},mode=0400`,
      '--stop-timeout', '30',
      TAG,
    ]);
    log(`started ${CTR} as ${uid}:${gid} (+${submitGid})`);
  }, 3_000_000);

  afterAll(async () => {
    await cleanUp();
    await sim?.stop().catch(() => {});
    if (host) rmSync(host, { recursive: true, force: true });
    if (app) rmSync(app, { recursive: true, force: true });
  }, 120_000);

  it(`is small: ${'≤'} 250 MB`, () => {
    expect(sizeMb).toBeGreaterThan(0);
    expect(sizeMb).toBeLessThanOrEqual(250);
  });

  it('publishes the site into its volume', async () => {
    await waitFor('site/current/index.html', 180_000, () => (existsSync(join(host, 'site/current/index.html')) ? true : undefined), logs);
    expect(readFileSync(join(host, 'site/current/index.html'), 'utf8')).toContain('<html');
  }, 240_000);

  const healthState = async () => (await podman(['inspect', '--format', '{{.State.Health.Status}}', CTR])).stdout.trim();
  const healthLog = async () => `${(await podman(['inspect', '--format', '{{json .State.Health}}', CTR], { allowFail: true })).stdout}\n${await logs()}`;

  it('turns healthy (pmi-agent health) once a cycle is stored', async () => {
    // podman runs the image's HEALTHCHECK (pmi-agent health) and records the outcome
    await waitFor('healthy', 180_000, async () => ((await podman(['healthcheck', 'run', CTR], { allowFail: true })).code === 0 ? true : undefined), healthLog);
    expect(await healthState()).toBe('healthy');
  }, 240_000);

  it('runs as the given non-root user on a read-only root, with no compiler, bundler or dev dependency', async () => {
    const id = await podman(['exec', CTR, 'id', '-u']);
    expect(Number(id.stdout.trim())).toBe(idOf('u', AGENT));
    expect(Number(id.stdout.trim())).not.toBe(0);
    expect((await podman(['inspect', '--format', '{{.HostConfig.ReadonlyRootfs}}', CTR])).stdout.trim()).toBe('true');
    const write = await podman(['exec', CTR, 'sh', '-c', 'echo x > /opt/pmi-agent/x; echo x > /etc/x; echo x > /usr/x'], { allowFail: true });
    expect(write.stderr.match(/Read-only file system/g)?.length).toBe(3);
    const tools = await podman(['exec', CTR, 'sh', '-c', 'for c in gcc cc g++ make python3 npm tsc tsx esbuild; do command -v $c; done'], { allowFail: true });
    expect(tools.stdout.trim()).toBe('');
    // every package installed, from npm's own record of the install; none of them a dev dependency
    const installed = JSON.parse((await podman(['exec', CTR, 'cat', '/opt/pmi-agent/node_modules/.package-lock.json'])).stdout) as { packages: Record<string, { dev?: boolean }> };
    const names = Object.keys(installed.packages).map((k) => k.replace(/^.*node_modules\//, ''));
    const pkg = JSON.parse(readFileSync(join(app, 'package.json'), 'utf8')) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };
    for (const dev of [...Object.keys(pkg.devDependencies), 'esbuild', 'typescript', 'tsx', 'vitest']) expect(names, dev).not.toContain(dev);
    expect(Object.values(installed.packages).filter((p) => p.dev)).toEqual([]);
    for (const dep of Object.keys(pkg.dependencies)) expect(names, dep).toContain(dep);
    const present = await podman(['exec', CTR, 'sh', '-c', 'cd /opt/pmi-agent/node_modules && for p in typescript tsx esbuild vitest @esbuild/linux-x64; do [ -e "$p" ] && echo "$p"; done; true']);
    expect(present.stdout.trim()).toBe('');
    const ts = await podman(['exec', CTR, 'find', '/opt/pmi-agent/agent', '-name', '*.ts']);
    expect(ts.stdout).toBe('');
  });

  it('sees a host user who drops a request with their own uid and name', async () => {
    const aliceUid = idOf('u', ALICE);
    const id = `pmi18-identity-${Date.now()}`;
    const req = JSON.stringify({ version: 1, id, cluster: sim!.clusters[0]!.name, vmid: 100, action: 'start', reason: 'container identity test' });
    // tmp/ then rename into new/, as the inbox protocol says, as alice herself
    const drop = spawnSync('runuser', ['-u', ALICE, '--', 'sh', '-c', `cat > "$1/tmp/${id}.json" && mv "$1/tmp/${id}.json" "$1/new/${id}.json"`, 'sh', join(host, 'inbox')], { input: req, encoding: 'utf8' });
    expect(drop.stderr).toBe('');
    expect(drop.status).toBe(0);
    const result = await waitFor('a result for the request', 120_000, () => {
      for (const folder of ['rejected', 'failed', 'done']) {
        const f = readdirSync(join(host, 'inbox', folder)).find((n) => n.startsWith(id));
        if (f) return JSON.parse(readFileSync(join(host, 'inbox', folder, f), 'utf8')) as { submitter: { uid: number; user: string } };
      }
      return undefined;
    }, logs);
    expect(result.submitter).toMatchObject({ uid: aliceUid, user: ALICE });
  }, 180_000);

  it('keeps the secret out of inspect output, the environment and the log', async () => {
    const secret = sim!.tokenSecret;
    expect(secret.length).toBeGreaterThan(8);
    const places = {
      'podman inspect (container)': (await podman(['inspect', CTR])).stdout,
      'podman image inspect': (await podman(['image', 'inspect', TAG])).stdout,
      'podman secret inspect': (await podman(['secret', 'inspect', SECRET])).stdout,
      environment: (await podman(['exec', CTR, 'cat', '/proc/1/environ'])).stdout,
      'command line': (await podman(['exec', CTR, 'cat', '/proc/1/cmdline'])).stdout,
      log: await logs(),
    };
    for (const [where, text] of Object.entries(places)) {
      expect(text.length, where).toBeGreaterThan(0);
      expect(text.includes(secret), `secret found in ${where}`).toBe(false);
    }
  });

  it('turns unhealthy when no cluster answers for three poll intervals (simulator stopped)', async () => {
    await sim!.stop();
    sim = undefined;
    // failures inside the HEALTHCHECK's 60 s start period do not count: run it until podman says so
    await waitFor('unhealthy', 180_000, async () => ((await podman(['healthcheck', 'run', CTR], { allowFail: true })).code === 1 && (await healthState()) === 'unhealthy' ? true : undefined), healthLog);
    expect(await healthState()).toBe('unhealthy');
    const last = JSON.parse((await podman(['inspect', '--format', '{{json .State.Health}}', CTR])).stdout) as { Log: Array<{ ExitCode: number; Output: string }> };
    expect(last.Log.at(-1)).toMatchObject({ ExitCode: 1, Output: expect.stringContaining('unhealthy: last successful poll') });
  }, 240_000);

  it('podman stop ends it with exit 0 within 30 s', async () => {
    const t0 = performance.now();
    await podman(['stop', '--time', '30', CTR], { timeoutMs: 90_000 });
    const ms = performance.now() - t0;
    const state = JSON.parse((await podman(['inspect', '--format', '{{json .State}}', CTR])).stdout) as { ExitCode: number; Status: string };
    log(`podman stop took ${Math.round(ms)} ms`);
    expect(state.Status).toBe('exited');
    expect(state.ExitCode, await logs()).toBe(0);
    // podman sends SIGKILL after --time 30 s (exit 137): exit 0 proves the agent ended on SIGTERM in time
  }, 120_000);

  // The second way to serve: container/pmi-dashboard.kube.yaml as shipped, with only what a test
  // must change (image tags, names with the pmi18 prefix, its own config and secret files, and
  // nginx listening on a free loopback port instead of the host's port 80 — the server block is
  // otherwise the shipped systemd/nginx-pmi-dashboard.conf). podman kube play takes no --ulimit:
  // a containers.conf of the test's gives the limits and the runtime.
  describe('podman kube play: the agent and nginx in one pod', () => {
    let kube = '';
    let kubeFile = '';
    let port = 0;
    let kubeSim: SimHandle | undefined;
    const env = () => ({ ...process.env, CONTAINERS_CONF: join(kube, 'containers.conf') });
    const kubeLogs = async () => {
      const out: string[] = [];
      for (const c of [`${POD}-agent`, `${POD}-nginx`]) {
        const r = await podman(['logs', c], { allowFail: true, env: env() });
        out.push(`--- ${c}\n${r.stdout.slice(-3000)}${r.stderr.slice(-3000)}`);
      }
      // who owns the shared site volume (an EACCES there was seen once under load)
      const site = await podman(['exec', `${POD}-agent`, 'ls', '-ldn', '/var/www/pmi-dashboard', '/var/www/pmi-dashboard/releases'], { allowFail: true, env: env() });
      out.push(`--- site volume\n${site.stdout}${site.stderr}`);
      return out.join('\n');
    };

    beforeAll(async () => {
      await podman(['build', '--format', 'docker', '--network', 'host', ...LIMITS, '--build-arg', `BASE=${BASE_IMAGE}`, '--tag', NGINX_TAG, '--file', join(app, 'container/nginx.Containerfile'), app], { timeoutMs: 1_200_000 });
      kube = mkdtempSync(join(tmpdir(), 'pmi-image-kube-'));
      chmodSync(kube, 0o755);
      writeFileSync(join(kube, 'containers.conf'), '[containers]\ndefault_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]\n\n[engine]\nruntime = "runc"\n');
      port = await freePort();
      const conf = readFileSync(join(app, 'systemd/nginx-pmi-dashboard.conf'), 'utf8');
      const listen = conf.replace(/^(\s*)listen 80;$/m, `$1listen 127.0.0.1:${port};`).replace(/^\s*listen \[::\]:80;\n/m, '');
      expect(listen).toContain(`listen 127.0.0.1:${port};`);
      writeFileSync(join(kube, 'nginx.conf'), listen);
      kubeSim = await startSimulator({ seed: 19, nodesPerCluster: 2, guests: 4 });
      mkdirSync(join(kube, 'secrets'), { mode: 0o750 });
      writeFileSync(join(kube, 'secrets', 'lab'), kubeSim.tokenSecret, { mode: 0o400 });
      chownSync(join(kube, 'secrets', 'lab'), IMAGE_UID, IMAGE_UID);
      chownSync(join(kube, 'secrets'), 0, IMAGE_UID);
      writeFileSync(join(kube, 'config.json'), JSON.stringify(agentConfig(kubeSim, '/run/secrets/lab'), null, 2), { mode: 0o644 });
      const shipped = readFileSync(join(app, 'container/pmi-dashboard.kube.yaml'), 'utf8');
      const edits: Array<[string, string]> = [
        ['image: localhost/pmi-agent:latest', `image: ${TAG}`],
        ['image: localhost/pmi-nginx:latest', `image: ${NGINX_TAG}`],
        ['  name: pmi-dashboard\n', `  name: ${POD}\n`],
        ['path: /etc/pmi-agent/config.json,', `path: ${join(kube, 'config.json')},`],
        ['path: /etc/pmi-agent/secrets,', `path: ${join(kube, 'secrets')},`],
        ['        - { name: nginx-lib, mountPath: /var/lib/nginx }\n', `        - { name: nginx-lib, mountPath: /var/lib/nginx }\n        - { name: nginx-conf, mountPath: /etc/nginx/sites-enabled/pmi-dashboard, readOnly: true }\n`],
        ['    - name: nginx-lib\n      emptyDir: { medium: Memory }\n', `    - name: nginx-lib\n      emptyDir: { medium: Memory }\n    - name: nginx-conf\n      hostPath: { path: ${join(kube, 'nginx.conf')}, type: File }\n`],
      ];
      // the volumes (claims, their names in the pod): pmi-db → pmi18-db …
      expect(shipped.match(/\bpmi-(db|inbox|site)\b/g)?.length).toBeGreaterThanOrEqual(9);
      let yaml = shipped.replace(/\bpmi-(db|inbox|site)\b/g, 'pmi18-$1');
      for (const [from, to] of edits) {
        expect(yaml.split(from).length - 1, `the shipped kube file has exactly one "${from.trim()}"`).toBe(1);
        yaml = yaml.replace(from, to);
      }
      kubeFile = join(kube, 'pmi-dashboard.kube.yaml');
      writeFileSync(kubeFile, yaml);
      await podman(['kube', 'play', kubeFile], { timeoutMs: 300_000, env: env() });
    }, 1_500_000);

    afterAll(async () => {
      if (kubeFile) await podman(['kube', 'down', kubeFile], { allowFail: true, env: env(), timeoutMs: 120_000 });
      await kubeSim?.stop().catch(() => {});
      if (kube) rmSync(kube, { recursive: true, force: true });
    }, 180_000);

    it('nginx serves the site the agent publishes into the shared volume, with the shipped headers', async () => {
      const res = await waitFor(`http://127.0.0.1:${port}/ answering 200`, 240_000, async () => {
        const r = await fetch(`http://127.0.0.1:${port}/`).catch(() => undefined);
        return r?.status === 200 ? r : undefined;
      }, kubeLogs);
      expect(await res.text()).toContain('<html');
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('content-security-policy')).toContain("default-src 'self'");
      // the image's defaults: its own non-root user, the volumes podman made from the claims
      expect((await podman(['exec', `${POD}-agent`, 'id', '-u'], { env: env() })).stdout.trim()).toBe(String(IMAGE_UID));
      const vols = (await podman(['volume', 'ls', '--format', '{{.Name}}'], { env: env() })).stdout.split('\n');
      for (const v of POD_VOLUMES) expect(vols).toContain(v);
    }, 300_000);
  });
});
