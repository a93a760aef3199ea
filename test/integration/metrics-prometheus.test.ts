// The metrics file end to end: the real agent polls the simulator (hostile guest names included)
// and writes its OpenMetrics file; promtool checks that very file; the real nginx serves it with
// the shipped site config at /metrics; a real Prometheus on loopback scrapes it, and its HTTP API
// answers for a few series. Every wait is bounded and says what it waited for.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator } from '../../scripts/pve-sim/index.ts';
import type { SimHandle } from '../../scripts/pve-sim/types.ts';
import { runAgent } from '../../agent/main.ts';
import { logSink, writeAgentConfig, type AgentDirs, type LogSink } from '../support/agent-fixture.ts';
import { SITE_CONF, freePort, startNginx, type NginxHandle } from '../support/nginx.ts';

const PROMETHEUS = ['/usr/bin/prometheus', '/usr/local/bin/prometheus'].find((p) => existsSync(p));
const PROMTOOL = ['/usr/bin/promtool', '/usr/local/bin/promtool'].find((p) => existsSync(p));
const OPENMETRICS = 'application/openmetrics-text; version=1.0.0; charset=utf-8';

/** Polls `probe` until it returns a value, at most `ms`; the error says what was awaited and shows `context()`. */
async function waitFor<T>(what: string, ms: number, probe: () => Promise<T | undefined>, context: () => string = () => ''): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`waited ${ms} ms for ${what}${last ? ` (last error: ${String(last)})` : ''}\n${context()}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

interface PromHandle { url: string; output: () => string; stop: () => Promise<void> }

/** A throw-away Prometheus on a loopback port with its own data directory, scraping `target` every second. */
async function startPrometheus(target: string): Promise<PromHandle> {
  const dir = mkdtempSync(join(tmpdir(), 'prometheus-'));
  const port = await freePort();
  writeFileSync(join(dir, 'prometheus.yml'), [
    'global:',
    '  scrape_interval: 1s',
    '  scrape_timeout: 1s',
    'scrape_configs:',
    '  - job_name: pmi-dashboard',
    '    metrics_path: /metrics',
    '    static_configs:',
    `      - targets: ['${target}']`,
    '',
  ].join('\n'));
  const child: ChildProcess = spawn(PROMETHEUS!, [
    `--config.file=${join(dir, 'prometheus.yml')}`,
    `--storage.tsdb.path=${join(dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${port}`,
    '--log.level=warn',
  ], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const url = `http://127.0.0.1:${port}`;
  const handle: PromHandle = {
    url,
    output: () => output,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    await waitFor('Prometheus to be ready', 60_000, async () => {
      if (child.exitCode !== null) throw new Error(`prometheus exited with ${child.exitCode}`);
      return (await fetch(`${url}/-/ready`)).ok ? true : undefined;
    }, () => output);
  } catch (err) {
    await handle.stop();
    throw err;
  }
  return handle;
}

interface Sample { metric: Record<string, string>; value: [number, string] }

async function query(prom: PromHandle, q: string): Promise<Sample[]> {
  const r = await fetch(`${prom.url}/api/v1/query?query=${encodeURIComponent(q)}`);
  const body = (await r.json()) as { status: string; data: { resultType: string; result: Sample[] }; error?: string };
  if (body.status !== 'success') throw new Error(`query ${q}: ${body.error}`);
  return body.data.result;
}

describe.skipIf(!PROMETHEUS || !PROMTOOL)(`metrics for Prometheus${PROMETHEUS && PROMTOOL ? '' : ' — SKIPPED: prometheus/promtool not installed (apt-get install prometheus; scripts/test.sh does)'}`, () => {
  let sim: SimHandle;
  let dirs: AgentDirs;
  let sink: LogSink;
  let metricsFile: string;
  const stop = new AbortController();
  let agent: Promise<number>;
  let nginx: NginxHandle | undefined;
  let prom: PromHandle | undefined;
  let firstFile = '';

  beforeAll(async () => {
    sim = await startSimulator({ seed: 17, hostileNames: true });
    dirs = writeAgentConfig(sim, (c) => { c.metrics = { file: 'run/metrics' }; });
    mkdirSync(join(dirs.dir, 'run'));
    metricsFile = join(dirs.dir, 'run', 'metrics');
    sink = logSink();
    let firstCycle!: () => void;
    const cycled = new Promise<void>((r) => (firstCycle = r));
    agent = runAgent(dirs.configPath, { intervalSeconds: 5, signal: stop.signal, logDestination: sink.stream, onCycle: () => firstCycle() });
    await waitFor('the first agent cycle', 60_000, async () => {
      await Promise.race([cycled, new Promise((r) => setTimeout(r, 250))]);
      return existsSync(metricsFile) ? true : undefined;
    }, () => sink.text());
    firstFile = readFileSync(metricsFile, 'utf8');
  });

  afterAll(async () => {
    await prom?.stop();
    await nginx?.stop();
    stop.abort();
    await agent;
    await sim?.stop();
  });

  it('the agent wrote its file: OpenMetrics, with the fleet, and promtool finds nothing but the counter naming it predates', () => {
    expect(firstFile).toMatch(/\n# EOF\n$/);
    const guests = sim.world.clusters[0]!.guests.size;
    expect(firstFile.split('\n').filter((l) => l.startsWith('pve_guest_info{'))).toHaveLength(guests);
    const cluster = sim.clusters[0]!.name;
    expect(firstFile).toMatch(new RegExp(`^pve_up\\{cluster="${cluster}",id="node/[^"]+"\\} 1$`, 'm'));
    expect(firstFile).toMatch(/^pmi_cluster_poll_up\{cluster="[^"]+"\} 1$/m);

    const r = spawnSync(PROMTOOL!, ['check', 'metrics'], { input: firstFile, encoding: 'utf8' });
    const report = `${r.stdout}${r.stderr}`.trim();
    // promtool (2.42) lints the classic text format: there, a counter is declared under its
    // sample's name (`x_total`), while OpenMetrics declares the family `x` whose samples are
    // `x_total`. So promtool sees each counter's samples as an undocumented metric, and says
    // exactly that. Anything else (a parse error: status 1; any other lint finding) fails here.
    expect([0, 3], report).toContain(r.status);
    const counters = [...firstFile.matchAll(/^# TYPE (\S+) counter$/gm)].map((m) => m[1]!).filter((f) => firstFile.includes(`\n${f}_total`));
    expect(counters.length).toBeGreaterThan(4);
    const findings = report ? report.split('\n').sort() : [];
    expect(findings).toEqual(counters.map((f) => `${f}_total no help text`).sort());
  });

  it('nginx serves it at /metrics with the OpenMetrics content type, and Prometheus scrapes it', async () => {
    const siteConf = readFileSync(SITE_CONF, 'utf8');
    expect(siteConf).toContain('alias /run/pmi-agent/metrics;');
    nginx = await startNginx(join(dirs.site, 'current'), { siteConf: siteConf.replace('alias /run/pmi-agent/metrics;', `alias ${metricsFile};`) });
    const res = await fetch(`${nginx.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe(OPENMETRICS);
    expect(await res.text()).toMatch(/^# HELP pve_up [\s\S]*# EOF\n$/);
    expect((await fetch(`${nginx.url}/metrics`, { headers: { 'accept-encoding': 'gzip' } })).headers.get('content-encoding')).toBe('gzip');

    prom = await startPrometheus(`127.0.0.1:${nginx.port}`);
    const p = prom;
    const context = () => `prometheus:\n${p.output()}\nnginx:\n${nginx!.errorLog()}`;
    const up = await waitFor('a successful scrape (up == 1)', 90_000, async () => {
      const s = await query(p, 'up{job="pmi-dashboard"}');
      return s[0]?.value[1] === '1' ? s : undefined;
    }, context);
    expect(up).toHaveLength(1);

    // The series people's dashboards use, with the exporter's labels.
    const cluster = sim.clusters[0]!.name;
    const guests = sim.world.clusters[0]!.guests.size;
    const info = await query(p, `count(pve_guest_info{cluster="${cluster}"})`);
    expect(Number(info[0]!.value[1])).toBe(guests);
    const nodes = await query(p, `pve_up{cluster="${cluster}", id=~"node/.+"}`);
    expect(nodes.length).toBe(sim.world.clusters[0]!.nodes.length);
    expect(nodes.every((n) => n.value[1] === '1')).toBe(true);
    // A join as dashboards built for prometheus-pve-exporter write it: CPU by guest name.
    const joined = await query(p, 'pve_cpu_usage_ratio * on(cluster, id) group_left(name) pve_guest_info');
    expect(joined.length).toBeGreaterThan(0);
    expect(joined.every((s) => typeof s.metric.name === 'string')).toBe(true);
    // Hostile names arrive intact as label values (escaped in the file, not breaking it).
    expect(firstFile).toContain('\\"><script>');
    const hostile = await query(p, 'pve_guest_info{name="<img src=x onerror=alert(1)>"}');
    expect(hostile.length).toBeGreaterThan(0);
    expect(hostile[0]!.metric.tags).toContain('"><script>alert(1)</script>');
    // The exporter's state sets: HA-managed guests started, a guest locked for backup.
    expect((await query(p, 'pve_ha_state{state="started"} == 1')).length).toBeGreaterThan(0);
    expect((await query(p, 'pve_lock_state{state="backup"} == 1')).length).toBeGreaterThan(0);
    // A counter arrives under its _total name; the agent's own health is there too.
    expect((await query(p, 'pve_network_transmit_bytes_total')).length).toBeGreaterThan(0);
    const cycles = await query(p, 'pmi_agent_cycles_total');
    expect(Number(cycles[0]!.value[1])).toBeGreaterThanOrEqual(1);
    // Prometheus read it as OpenMetrics: the metadata it kept names the counter family.
    const meta = (await (await fetch(`${p.url}/api/v1/metadata?metric=pve_network_transmit_bytes`)).json()) as { data: Record<string, Array<{ type: string; unit: string }>> };
    expect(meta.data.pve_network_transmit_bytes?.[0]).toMatchObject({ type: 'counter', unit: 'bytes' });
  });

  it('a stopped agent withdraws its file, so the scrape fails instead of repeating old values', async () => {
    stop.abort();
    expect(await agent).toBe(0);
    expect(existsSync(metricsFile)).toBe(false);
    expect((await fetch(`${nginx!.url}/metrics`)).status).toBe(404);
  });
});
