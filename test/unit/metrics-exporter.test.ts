// The metrics exporter part: counters across cycles, the atomic file replace in a real temp
// directory, a failed write logged once (never thrown into the cycle), and the file withdrawn on stop.
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../agent/log/logger.ts';
import { parseConfig } from '../../agent/config/load-config.ts';
import { createMetricsExporter, type CycleReport } from '../../agent/metrics/metrics-exporter.ts';
import { writeFileAtomic } from '../../agent/metrics/metrics-file.ts';
import type { PollResult } from '../../agent/poll/poll-cycle.ts';
import { logSink } from '../support/agent-fixture.ts';
import { fixtureSnapshot } from '../support/metrics-fixture.ts';

let dir: string;
beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'metrics-')); });
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const T0 = 1_765_000_000_000;
function outcome(cluster: string, ok: boolean, extra: Partial<PollResult> = {}): PollResult {
  return { cluster, ok, durationMs: 100, requests: 4, errors: ok ? 0 : 1, endpoint: null, startedAt: T0, warnings: [], ...(ok && { snapshot: fixtureSnapshot(cluster) }), ...extra };
}
const report = (outcomes: PollResult[], failedStages: string[] = []): CycleReport => ({ outcomes, durationMs: 900, stagesMs: { poll: 100, site: 500 }, failedStages });
const line = (text: string, prefix: string) => text.split('\n').find((l) => l.startsWith(prefix));

describe('metrics exporter', () => {
  it('writes the file each cycle; counters add up across cycles; a failed cluster exports no pve_* series', async () => {
    const file = join(dir, 'metrics');
    const sink = logSink();
    const exp = createMetricsExporter({ file, log: createLogger({ destination: sink.stream }), now: () => T0 + 2000, removeOnStop: true });
    exp.start();
    expect(await exp.record(report([outcome('a', true), outcome('b', true)]))).toEqual({ bytes: expect.any(Number) });
    const first = readFileSync(file, 'utf8');
    expect(first).toContain('pve_up{cluster="b",id="qemu/100"} 1');

    await exp.record(report([outcome('a', true), outcome('b', false)], ['backfill']));
    const second = readFileSync(file, 'utf8');
    expect(second).not.toContain('cluster="b",id=');
    expect(second).toContain('pve_up{cluster="a",id="qemu/100"} 1');
    expect(line(second, 'pmi_cluster_poll_up{cluster="b"}')).toBe('pmi_cluster_poll_up{cluster="b"} 0');
    expect(line(second, 'pmi_cluster_poll_requests_total{cluster="b"}')).toBe('pmi_cluster_poll_requests_total{cluster="b"} 8');
    expect(line(second, 'pmi_cluster_poll_failures_total{cluster="b"}')).toBe('pmi_cluster_poll_failures_total{cluster="b"} 1');
    // The last success is kept from the cycle before.
    expect(line(second, 'pmi_cluster_last_poll_success_timestamp_seconds{cluster="b"}')).toBe('pmi_cluster_last_poll_success_timestamp_seconds{cluster="b"} 1765000000');
    expect(line(second, 'pmi_agent_cycles_total')).toBe('pmi_agent_cycles_total 2');
    expect(line(second, 'pmi_agent_cycle_stage_failures_total')).toBe('pmi_agent_cycle_stage_failures_total{stage="backfill"} 1');
    expect(line(second, 'pmi_agent_last_cycle_timestamp_seconds')).toBe('pmi_agent_last_cycle_timestamp_seconds 1765000002');
    // Only the file itself is left in the directory (the temp file was renamed over it).
    expect(readdirSync(dir)).toEqual(['metrics']);

    await exp.stop();
    expect(existsSync(file)).toBe(false);
  });

  it('`once` keeps its file on stop', async () => {
    const file = join(dir, 'metrics');
    const exp = createMetricsExporter({ file, log: createLogger({ level: 'silent' }), now: () => T0, removeOnStop: false });
    exp.start();
    await exp.record(report([outcome('a', true)]));
    await exp.stop();
    expect(readFileSync(file, 'utf8')).toMatch(/# EOF\n$/);
  });

  it('a missing directory is logged once with what to do, and never fails the cycle', async () => {
    const file = join(dir, 'no-such-dir', 'metrics');
    const sink = logSink();
    const exp = createMetricsExporter({ file, log: createLogger({ destination: sink.stream }), now: () => T0, removeOnStop: true });
    exp.start();
    for (let i = 0; i < 3; i++) expect(await exp.record(report([outcome('a', true)]))).toBeUndefined();
    const warns = sink.lines.filter((l) => l.level === 'warn');
    expect(warns).toHaveLength(1);
    expect(String(warns[0]!.msg)).toContain('pmi-agent.tmpfiles.conf');
    await exp.stop();
  });

  it('the file is replaced by rename, never rewritten in place: a reader of the old one reads it whole', async () => {
    const file = join(dir, 'metrics');
    writeFileAtomic(file, 'old '.repeat(10_000));
    const fd = openSync(file, 'r');
    const inode = statSync(file).ino;
    writeFileAtomic(file, 'new');
    expect(statSync(file).ino).not.toBe(inode);
    expect(readFileSync(fd, 'utf8')).toBe('old '.repeat(10_000));
    closeSync(fd);
    expect(readFileSync(file, 'utf8')).toBe('new');
    expect(readdirSync(dir)).toEqual(['metrics']);
    // A failed rename (the target is a directory) leaves no temp file behind.
    mkdirSync(join(dir, 'd'));
    expect(() => writeFileAtomic(join(dir, 'd'), 'x')).toThrow();
    expect(readdirSync(dir).sort()).toEqual(['d', 'metrics']);
  });

  it('config: on by default at /run/pmi-agent/metrics; a relative file is taken from the config folder', () => {
    const base = { clusters: [{ name: 'lab', endpoints: ['https://127.0.0.1:8006'], tokenId: 'pmi@pve!monitor', tokenSecret: 'x', tls: { insecure: true } }], paths: { database: 'd', site: 's', inbox: 'i' } };
    expect(parseConfig(base, 'config.json', '/etc/pmi-agent').metrics).toEqual({ enabled: true, file: '/run/pmi-agent/metrics' });
    expect(parseConfig({ ...base, metrics: { file: 'run/metrics', enabled: false } }, 'config.json', '/srv/pmi').metrics).toEqual({ enabled: false, file: '/srv/pmi/run/metrics' });
    expect(() => parseConfig({ ...base, metrics: { path: 'x' } }, 'config.json', '/srv')).toThrow(/metrics/);
  });
});
