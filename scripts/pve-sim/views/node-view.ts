// Node and storage JSON shapes: /cluster/resources node/storage entries, /nodes, /nodes/{node}/status,
// /nodes/{node}/storage (pve-api.md §3.3, §4, §9).
import { nodeCpu, nodeIowait, nodeLoadavg, nodeMemory, nodeRootUsed, nodeSwapUsed, storageUsed } from '../metrics-model.ts';
import type { PveProfile } from '../profiles.ts';
import type { SimNode, SimStorage } from '../types.ts';
import type { NodeLiveness } from './liveness.ts';

type Json = Record<string, unknown>;

/** Memory used as /cluster/resources and /nodes report it (profile-dependent definition). */
function memUsed(n: SimNode, tSec: number, profile: PveProfile): number {
  const m = nodeMemory(n, tSec);
  return profile.memAvailable ? m.total - m.available : m.total - (m.memFree + m.buffersCached);
}

function stats(n: SimNode, tSec: number, profile: PveProfile): Json {
  return {
    uptime: Math.floor(tSec - n.bootAt),
    cpu: Math.round(nodeCpu(n, tSec) * 1e6) / 1e6,
    maxcpu: n.maxcpu,
    mem: memUsed(n, tSec, profile),
    maxmem: n.maxmem,
    disk: nodeRootUsed(n, tSec),
    maxdisk: n.rootTotal,
  };
}

/** A node entry of /cluster/resources. */
export function nodeResource(n: SimNode, tSec: number, profile: PveProfile, state: NodeLiveness, haInUse: boolean): Json {
  const o: Json = { id: `node/${n.name}`, type: 'node', node: n.name, status: state === 'online' ? 'online' : 'offline', level: '' };
  if (state === 'online') {
    Object.assign(o, stats(n, tSec, profile), { 'cgroup-mode': 2 });
    if (profile.pve9Fields) o['host-arch'] = 'x86_64';
  } else if (state === 'offline') {
    Object.assign(o, { maxcpu: n.maxcpu, maxmem: n.maxmem, maxdisk: n.rootTotal });
  }
  if (haInUse) o.hastate = state === 'online' ? 'online' : 'unknown';
  return o;
}

/** An entry of GET /nodes. */
export function nodesListEntry(n: SimNode, tSec: number, profile: PveProfile, state: NodeLiveness, fingerprint: string): Json {
  const o: Json = { node: n.name, status: state === 'online' ? 'online' : 'offline', id: `node/${n.name}`, type: 'node', level: '', ssl_fingerprint: fingerprint };
  if (state === 'online') Object.assign(o, stats(n, tSec, profile));
  else if (state === 'offline') Object.assign(o, { maxcpu: n.maxcpu, maxmem: n.maxmem, maxdisk: n.rootTotal });
  return o;
}

const fix2 = (v: number) => v.toFixed(2);

/** GET /nodes/{node}/status. */
export function nodeStatus(n: SimNode, tSec: number, profile: PveProfile): Json {
  const m = nodeMemory(n, tSec);
  const memory: Json = profile.memAvailable
    ? { total: m.total, used: m.total - m.available, free: m.memFree, available: m.available }
    : { total: m.total, used: m.total - (m.memFree + m.buffersCached), free: m.memFree + m.buffersCached };
  const swapUsed = nodeSwapUsed(n, tSec);
  const rootUsed = nodeRootUsed(n, tSec);
  const cores = n.maxcpu / n.sockets / 2;
  const o: Json = {
    cpu: Math.round(nodeCpu(n, tSec) * 1e6) / 1e6,
    wait: Math.round(nodeIowait(n, tSec) * 1e6) / 1e6,
    idle: 0,
    loadavg: nodeLoadavg(n, tSec).map(fix2),
    uptime: Math.floor(tSec - n.bootAt),
    cpuinfo: {
      model: n.cpuModel,
      sockets: n.sockets,
      cores,
      cpus: n.maxcpu,
      mhz: n.mhz,
      hvm: '1',
      flags: 'fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov pat pse36 clflush mmx fxsr sse sse2 ht syscall nx lm constant_tsc rep_good nopl xtopology cpuid pni ssse3 fma cx16 sse4_1 sse4_2 x2apic movbe popcnt aes xsave avx f16c rdrand hypervisor lahf_lm abm 3dnowprefetch avx2 bmi1 bmi2',
      user_hz: 100,
    },
    memory,
    swap: { total: n.swapTotal, used: swapUsed, free: n.swapTotal - swapUsed },
    ksm: { shared: Math.round(n.maxmem * 0.01 * n.load) },
    rootfs: { total: n.rootTotal, used: rootUsed, avail: n.rootTotal - rootUsed - Math.round(n.rootTotal * 0.05), free: n.rootTotal - rootUsed },
    kversion: profile.kversion,
    pveversion: `pve-manager/${profile.version}/${profile.repoid}`,
  };
  if (profile.newNodeStatus) {
    o['current-kernel'] = { sysname: 'Linux', release: profile.kernelRelease, version: profile.kversion.replace(/^Linux \S+ /, ''), machine: 'x86_64' };
    o['boot-info'] = { mode: 'efi', secureboot: 0 };
  }
  return o;
}

/** An entry of GET /nodes/{node}/storage. */
export function storageEntry(s: SimStorage, tSec: number): Json {
  const o: Json = { storage: s.storage, type: s.type, content: s.content, active: s.active, enabled: s.enabled, shared: s.shared };
  if (s.active && s.enabled) {
    const used = storageUsed(s, tSec);
    Object.assign(o, { total: s.total, used, avail: s.total - used, used_fraction: used / s.total });
  } else {
    Object.assign(o, { total: 0, used: 0, avail: 0 });
  }
  return o;
}

/** A storage entry of /cluster/resources (enabled storages only; inactive or stale ones are `unknown`). */
export function storageResource(s: SimStorage, node: string, tSec: number, fresh: boolean): Json {
  const o: Json = { id: `storage/${node}/${s.storage}`, type: 'storage', storage: s.storage, node, plugintype: s.type, content: s.content, shared: s.shared };
  if (s.active && fresh) {
    Object.assign(o, { status: 'available', disk: storageUsed(s, tSec), maxdisk: s.total });
  } else {
    o.status = 'unknown';
  }
  return o;
}
