// Guest JSON shapes: /cluster/resources entries, the qemu/lxc lists and status/current (§3.3, §5).
import { guestCounters, guestCpu, guestDiskUsed, guestMem, guestMemHost, guestPressure } from '../metrics-model.ts';
import type { PveProfile } from '../profiles.ts';
import type { SimGuest } from '../types.ts';

type Json = Record<string, unknown>;

const r6 = (v: number) => Math.round(v * 1e6) / 1e6;

function optional(g: SimGuest, o: Json): Json {
  if (g.tags !== undefined) o.tags = g.tags;
  if (g.lock !== undefined) o.lock = g.lock;
  return o;
}

interface Live {
  running: boolean;
  paused: boolean;
  cpu: number;
  mem: number;
  disk: number;
  counters: [number, number, number, number];
  uptime: number;
}

function live(g: SimGuest, tSec: number): Live {
  const running = g.status === 'running';
  const paused = running && g.qmpstatus !== 'running';
  return {
    running,
    paused,
    cpu: running && !paused ? r6(guestCpu(g, tSec)) : 0,
    mem: running ? Math.round(guestMem(g, tSec)) : 0,
    disk: g.type === 'lxc' && running ? Math.round(guestDiskUsed(g, tSec)) : 0,
    counters: running ? guestCounters(g, tSec) : [0, 0, 0, 0],
    uptime: running && g.startedAt !== null ? Math.max(0, Math.floor(tSec - g.startedAt)) : 0,
  };
}

/** A qemu/lxc entry of /cluster/resources; `expired` gives the status-unknown stub. */
export function guestResource(g: SimGuest, tSec: number, profile: PveProfile, expired: boolean): Json {
  if (expired) {
    const stub: Json = { id: `${g.type}/${g.vmid}`, type: g.type, vmid: g.vmid, node: g.node, status: 'unknown' };
    if (g.tags !== undefined) stub.tags = g.tags;
    if (g.lock !== undefined) stub.lock = g.lock;
    if (g.pool !== undefined) stub.pool = g.pool;
    if (g.hastate !== undefined) stub.hastate = g.hastate;
    return stub;
  }
  const l = live(g, tSec);
  // A plain literal, not `{ ...base, … }`: V8 builds spread-then-extend objects on a slow path,
  // which made this 50x slower and /cluster/resources for 200 guests take ~15 ms.
  const o: Json = {
    id: `${g.type}/${g.vmid}`,
    type: g.type,
    vmid: g.vmid,
    node: g.node,
    name: g.name,
    status: g.type === 'qemu' && l.running ? g.qmpstatus : g.status,
    template: g.template,
    uptime: l.uptime,
    cpu: l.cpu,
    maxcpu: g.cpus,
    mem: l.mem,
    maxmem: g.maxmem,
    disk: l.disk,
    maxdisk: g.maxdisk,
    netin: l.counters[0],
    netout: l.counters[1],
    diskread: l.counters[2],
    diskwrite: l.counters[3],
  };
  if (profile.pve9Fields && g.type === 'qemu') o.memhost = l.running ? Math.round(guestMemHost(g, tSec)) : 0;
  optional(g, o);
  if (g.pool !== undefined) o.pool = g.pool;
  if (g.hastate !== undefined) o.hastate = g.hastate;
  return o;
}

/** An entry of GET /nodes/{node}/qemu (full adds the QMP fields). */
export function qemuListEntry(g: SimGuest, tSec: number, profile: PveProfile, full: boolean): Json {
  const l = live(g, tSec);
  const o: Json = {
    vmid: g.vmid,
    name: g.name,
    status: g.status,
    uptime: l.uptime,
    cpu: l.cpu,
    cpus: g.cpus,
    mem: l.mem,
    maxmem: g.maxmem,
    disk: 0,
    maxdisk: g.maxdisk,
    netin: l.counters[0],
    netout: l.counters[1],
  };
  if (l.running) o.pid = g.pid;
  if (g.template) o.template = 1;
  if (profile.pve9Fields) {
    o.memhost = l.running ? Math.round(guestMemHost(g, tSec)) : 0;
    if (l.running) Object.assign(o, guestPressure(g.key, tSec, l.cpu));
  }
  optional(g, o);
  if (full) Object.assign(o, qmpExtras(g, l));
  return o;
}

function qmpExtras(g: SimGuest, l: Live): Json {
  const o: Json = { qmpstatus: l.running ? g.qmpstatus : 'stopped', diskread: l.counters[2], diskwrite: l.counters[3] };
  if (l.running) {
    o.balloon = g.maxmem;
    o.freemem = Math.max(0, g.maxmem - l.mem);
    o['running-qemu'] = '9.2.0';
    o['running-machine'] = 'pc-i440fx-9.2+pve0';
  }
  return o;
}

/** An entry of GET /nodes/{node}/lxc (vmid a string on PVE 7). */
export function lxcListEntry(g: SimGuest, tSec: number, profile: PveProfile): Json {
  const l = live(g, tSec);
  const o: Json = {
    vmid: profile.lxcVmidString ? String(g.vmid) : g.vmid,
    type: 'lxc',
    name: g.name,
    status: g.status,
    uptime: l.uptime,
    cpu: l.cpu,
    cpus: g.cpus,
    mem: l.mem,
    maxmem: g.maxmem,
    swap: l.running ? Math.round(g.maxswap * 0.02) : 0,
    maxswap: g.maxswap,
    disk: l.disk,
    maxdisk: g.maxdisk,
    netin: l.counters[0],
    netout: l.counters[1],
    diskread: l.counters[2],
    diskwrite: l.counters[3],
  };
  if (l.running) o.pid = g.pid;
  if (g.template) o.template = 1;
  if (profile.pve9Fields && l.running) Object.assign(o, guestPressure(g.key, tSec, l.cpu));
  return optional(g, o);
}

function haObject(g: SimGuest): Json {
  return g.hastate === undefined ? { managed: 0 } : { managed: 1, state: g.hastate };
}

/** GET …/qemu/{vmid}/status/current. */
export function qemuCurrent(g: SimGuest, tSec: number, profile: PveProfile): Json {
  const l = live(g, tSec);
  const o = qemuListEntry(g, tSec, profile, false);
  Object.assign(o, qmpExtras(g, l), { ha: haObject(g), agent: 1 });
  return o;
}

/** GET …/lxc/{vmid}/status/current. */
export function lxcCurrent(g: SimGuest, tSec: number, profile: PveProfile): Json {
  return { ...lxcListEntry(g, tSec, profile), ha: haObject(g) };
}
