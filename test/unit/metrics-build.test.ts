// The OpenMetrics text built from a cycle's snapshots: a snapshot mapped from the handwritten PVE
// fixtures (offline node, paused/locked guest, HA guest, template, unknown guest, storages) is
// compared with a reviewed golden file, then the rules that matter are asserted one by one.
import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { ClusterSnapshot } from '../../agent/poll/cluster-snapshot.ts';
import { buildFleetMetrics, type FleetMetricsInput } from '../../agent/metrics/build-fleet-metrics.ts';
import { createOpenMetricsWriter, escapeLabelValue, formatValue } from '../../agent/metrics/openmetrics-text.ts';
import { fixtureSnapshot } from '../support/metrics-fixture.ts';

const GOLDEN = new URL('../fixtures/metrics/handwritten.om', import.meta.url);

function input(snapshots: ClusterSnapshot[], extra: Partial<FleetMetricsInput> = {}): FleetMetricsInput {
  return {
    snapshots,
    clusters: [
      { cluster: 'lab', up: true, durationMs: 250, lastSuccessTs: 1_765_000_000, requestsTotal: 12, errorsTotal: 1, failuresTotal: 0 },
      { cluster: 'dead', up: false, durationMs: 3000, lastSuccessTs: null, requestsTotal: 3, errorsTotal: 3, failuresTotal: 1 },
    ],
    agent: { cycleDurationMs: 1234, lastCycleTs: 1_765_000_002, cyclesTotal: 7, stageDurationsMs: { poll: 300, store: 200, site: 700 }, stageFailuresTotal: { backfill: 2 }, process: { startTimeSeconds: 1_764_990_000.5, residentMemoryBytes: 150e6, cpuSecondsTotal: 12.5 } },
    ...extra,
  };
}

/** Samples of one metric as `labels value` strings. */
const samples = (text: string, name: string) => text.split('\n').filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `));

describe('buildFleetMetrics', () => {
  it('matches the reviewed golden file for the handwritten fixtures', () => {
    const text = buildFleetMetrics(input([fixtureSnapshot()]));
    // UPDATE_GOLDEN=1 rewrites it; review the diff before committing.
    if (process.env.UPDATE_GOLDEN) writeFileSync(GOLDEN, text);
    expect(text).toBe(readFileSync(GOLDEN, 'utf8'));
  });

  it('uses prometheus-pve-exporter ids and names, plus our cluster label', () => {
    const text = buildFleetMetrics(input([fixtureSnapshot()]));
    expect(samples(text, 'pve_up')).toEqual([
      'pve_up{cluster="lab",id="cluster/prod"} 1',
      'pve_up{cluster="lab",id="node/pve1"} 1',
      'pve_up{cluster="lab",id="node/pve2"} 1',
      'pve_up{cluster="lab",id="node/pve3"} 0',
      'pve_up{cluster="lab",id="qemu/100"} 1',
      'pve_up{cluster="lab",id="qemu/101"} 0',
      'pve_up{cluster="lab",id="qemu/102"} 0',
      'pve_up{cluster="lab",id="qemu/103"} 1',
      'pve_up{cluster="lab",id="lxc/106"} 1',
      'pve_up{cluster="lab",id="qemu/9000"} 0',
      'pve_up{cluster="lab",id="storage/pve1/local"} 1',
      'pve_up{cluster="lab",id="storage/pve2/ceph"} 1',
      'pve_up{cluster="lab",id="storage/pve3/local"} 0',
    ]);
    expect(samples(text, 'pve_guest_info')).toContain('pve_guest_info{cluster="lab",id="qemu/100",node="pve1",name="web",type="qemu",template="0",tags="prod;web"} 1');
    expect(samples(text, 'pve_storage_info')).toContain('pve_storage_info{cluster="lab",id="storage/pve2/ceph",node="pve2",storage="ceph",plugintype="rbd",content="images,rootdir"} 1');
    expect(samples(text, 'pve_node_info')).toContain('pve_node_info{cluster="lab",id="node/pve1",level="c",name="pve1",nodeid="1"} 1');
    expect(samples(text, 'pve_cluster_info')).toEqual(['pve_cluster_info{cluster="lab",id="cluster/prod",nodes="3",quorate="1"} 1']);
    expect(samples(text, 'pve_version_info')).toEqual(['pve_version_info{cluster="lab",release="9.0",version="9.0.3"} 1']);
    expect(samples(text, 'pve_memory_usage_bytes')).toContain('pve_memory_usage_bytes{cluster="lab",id="qemu/100"} 2147483648');
    expect(samples(text, 'pve_cpu_usage_ratio')).toContain('pve_cpu_usage_ratio{cluster="lab",id="qemu/100"} 0.25');
  });

  it('counters are OpenMetrics families whose samples end in _total, with HELP, TYPE and UNIT', () => {
    const text = buildFleetMetrics(input([fixtureSnapshot()]));
    expect(text).toContain('# HELP pve_network_transmit_bytes The amount of traffic in bytes that was sent from the guest');
    expect(text).toContain('# TYPE pve_network_transmit_bytes counter\n# UNIT pve_network_transmit_bytes bytes\npve_network_transmit_bytes_total{cluster="lab",id="qemu/100"} 654321\n');
    expect(samples(text, 'pve_disk_read_bytes_total')).toContain('pve_disk_read_bytes_total{cluster="lab",id="lxc/106"} 700');
    expect(text).toContain('# TYPE pmi_agent_cycles counter\npmi_agent_cycles_total 7\n');
    // The exporter's deprecated gauges (pve_network_transmit_bytes …) would share a family name
    // with these counters, which OpenMetrics forbids.
    expect(text).not.toMatch(/^pve_network_transmit_bytes\{/m);
  });

  it('no data is no sample: qemu disk usage (not measured), an offline node, an unknown guest', () => {
    const text = buildFleetMetrics(input([fixtureSnapshot()]));
    expect(samples(text, 'pve_disk_usage_bytes').filter((l) => l.includes('qemu/'))).toEqual([]);
    expect(samples(text, 'pve_disk_usage_bytes')).toContain('pve_disk_usage_bytes{cluster="lab",id="lxc/106"} 1073741824');
    expect(samples(text, 'pve_cpu_usage_ratio').filter((l) => l.includes('node/pve3') || l.includes('qemu/102'))).toEqual([]);
    expect(samples(text, 'pve_guest_info').some((l) => l.includes('id="qemu/102"') && l.includes('name=""'))).toBe(true);
  });

  it('HA and lock state sets only for HA-managed and locked guests; nodes always', () => {
    const text = buildFleetMetrics(input([fixtureSnapshot()]));
    const ha = samples(text, 'pve_ha_state');
    expect(new Set(ha.map((l) => /id="([^"]+)"/.exec(l)![1]))).toEqual(new Set(['node/pve1', 'node/pve2', 'node/pve3', 'qemu/100']));
    expect(ha.filter((l) => l.endsWith(' 1'))).toEqual(['pve_ha_state{cluster="lab",id="node/pve1",state="online"} 1', 'pve_ha_state{cluster="lab",id="qemu/100",state="started"} 1']);
    expect(ha.filter((l) => l.includes('qemu/100'))).toHaveLength(11);
    const lock = samples(text, 'pve_lock_state');
    expect(lock).toHaveLength(9);
    expect(lock.filter((l) => l.endsWith(' 1'))).toEqual(['pve_lock_state{cluster="lab",id="qemu/101",state="backup"} 1']);
    // A lock outside the exporter's list is added to the set, not lost.
    const s = fixtureSnapshot();
    s.guests[0]!.lock = 'fstrim';
    expect(samples(buildFleetMetrics(input([s])), 'pve_lock_state')).toContain('pve_lock_state{cluster="lab",id="qemu/100",state="fstrim"} 1');
  });

  it('hostile names from Proxmox are escaped, never break a line or a label', () => {
    const s = fixtureSnapshot();
    s.guests[0]!.name = 'evil"} 1\npve_up{id="x';
    s.guests[0]!.tags = ['a\\b'];
    const text = buildFleetMetrics(input([s]));
    expect(samples(text, 'pve_guest_info')).toContain('pve_guest_info{cluster="lab",id="qemu/100",node="pve1",name="evil\\"} 1\\npve_up{id=\\"x",type="qemu",template="0",tags="a\\\\b"} 1');
    expect(text).not.toMatch(/^pve_up\{id="x/m);
  });

  it('every family is contiguous and declared once, and the text ends with # EOF', () => {
    const text = buildFleetMetrics(input([fixtureSnapshot('a'), fixtureSnapshot('b')]));
    expect(text.endsWith('\n# EOF\n')).toBe(true);
    const families: string[] = [];
    let current = '';
    for (const line of text.split('\n')) {
      const t = /^# TYPE (\S+) (\S+)$/.exec(line);
      if (t) {
        expect(families).not.toContain(t[1]);
        families.push(t[1]!);
        current = t[2] === 'counter' ? `${t[1]}_total` : t[1]!;
      } else if (line && !line.startsWith('#')) {
        expect(line.split(/[{ ]/)[0], line).toBe(current);
      }
    }
    // Both clusters are in the same family block.
    expect(samples(text, 'pve_up').filter((l) => l.includes('id="cluster/prod"'))).toEqual(['pve_up{cluster="a",id="cluster/prod"} 1', 'pve_up{cluster="b",id="cluster/prod"} 1']);
  });

  it("the agent's own health: per-cluster poll state, cycle and stage durations, failures", () => {
    const text = buildFleetMetrics(input([fixtureSnapshot()]));
    expect(samples(text, 'pmi_cluster_poll_up')).toEqual(['pmi_cluster_poll_up{cluster="dead"} 0', 'pmi_cluster_poll_up{cluster="lab"} 1']);
    expect(samples(text, 'pmi_cluster_last_poll_success_timestamp_seconds')).toEqual(['pmi_cluster_last_poll_success_timestamp_seconds{cluster="lab"} 1765000000']);
    expect(samples(text, 'pmi_cluster_poll_errors_total')).toEqual(['pmi_cluster_poll_errors_total{cluster="dead"} 3', 'pmi_cluster_poll_errors_total{cluster="lab"} 1']);
    expect(samples(text, 'pmi_agent_cycle_duration_seconds')).toEqual(['pmi_agent_cycle_duration_seconds 1.234']);
    expect(samples(text, 'pmi_agent_cycle_stage_duration_seconds')).toContain('pmi_agent_cycle_stage_duration_seconds{stage="site"} 0.7');
    expect(samples(text, 'pmi_agent_cycle_stage_failures_total')).toEqual(['pmi_agent_cycle_stage_failures_total{stage="backfill"} 2']);
    expect(samples(text, 'pmi_agent_last_cycle_timestamp_seconds')).toEqual(['pmi_agent_last_cycle_timestamp_seconds 1765000002']);
    expect(samples(text, 'process_cpu_seconds_total')).toEqual(['process_cpu_seconds_total 12.5']);
  });

  it('a fleet with no snapshot (every poll failed) still says so, with no empty families', () => {
    const text = buildFleetMetrics(input([]));
    expect(text).not.toContain('pve_up');
    expect(text).toContain('pmi_cluster_poll_up{cluster="dead"} 0');
    expect(text).not.toMatch(/# TYPE (\S+) \S+\n(# UNIT \S+ \S+\n)?(# HELP|# TYPE|# EOF)/);
  });
});

describe('the OpenMetrics writer', () => {
  it.each([
    [0, '0'], [1.5, '1.5'], [1e21, '1e+21'], [NaN, 'NaN'], [Infinity, '+Inf'], [-Infinity, '-Inf'],
  ])('formats %d as %s', (v, s) => expect(formatValue(v)).toBe(s));

  it('escapes backslash, quote and line feed in label values', () => {
    expect(escapeLabelValue('a\\b"c\nd')).toBe('a\\\\b\\"c\\nd');
  });

  it('hands the exposition over in chunks that add up to the same bytes, whatever the chunk size', () => {
    const texts = [16, 100, 4096, 1 << 20].map((size) => {
      const chunks: Buffer[] = [];
      const w = createOpenMetricsWriter((c) => chunks.push(Buffer.from(c)), size);
      w.family({ name: 'x_seconds', type: 'gauge', help: 'h', unit: 'seconds' });
      for (let i = 0; i < 50; i++) w.sample([['id', `n${i}`], ['name', 'ünïcødé "q"']], i / 7);
      const total = w.finish();
      const joined = Buffer.concat(chunks);
      expect(joined.length).toBe(total);
      expect(chunks.length > 1).toBe(size < 4096);
      return joined.toString();
    });
    expect(new Set(texts).size).toBe(1);
    expect(texts[0]).toContain('x_seconds{id="n49",name="ünïcødé \\"q\\""} 7\n# EOF\n');
  });

  it('refuses what would make the exposition invalid', () => {
    const out: Buffer[] = [];
    const w = createOpenMetricsWriter((c) => out.push(Buffer.from(c)));
    expect(() => w.family({ name: 'x_total', type: 'counter', help: 'h' })).toThrow(/without _total/);
    expect(() => w.family({ name: 'x_seconds', type: 'gauge', help: 'h', unit: 'bytes' })).toThrow(/unit/);
    expect(() => w.family({ name: 'bad-name', type: 'gauge', help: 'h' })).toThrow(/name/);
    w.family({ name: 'a', type: 'gauge', help: 'h' });
    expect(w.finish()).toBe(6);
    expect(Buffer.concat(out).toString()).toBe('# EOF\n');
    expect(() => w.family({ name: 'a', type: 'gauge', help: 'h' })).toThrow(/twice/);
    expect(() => w.sample([['bad-label', 'v']], 1)).toThrow(/label/);
  });
});
