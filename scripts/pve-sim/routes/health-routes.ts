// Health endpoints (issue #15, ../shared/pve-health-api.md). Shapes, types and privileges follow
// the Proxmox sources, read through the search tool (proxmox/* on GitHub, 2025–2026 heads):
// - /cluster/backup, …/{id}/included_volumes: pve-manager PVE/API2/Backup.pm (Sys.Audit on /;
//   `enabled` 0/1, absent = enabled on PVE 7 job configs; `next-run` epoch; included_volumes is
//   {children:[{id:vmid,name,type,children:[{id:'scsi1',name,included:0|1,reason}]}]}).
// - /cluster/backup-info/not-backed-up: pve-manager PVE/API2/Cluster/BackupInfo.pm ({vmid,name,type}).
// - /nodes/{node}/disks/list: pve-storage src/PVE/API2/Disks.pm + Diskmanage.pm get_disks; captures
//   in src/test/disk_tests/*/disklist_expected.json: `wearout` is percent REMAINING (100 − NVMe
//   "Percentage Used", or the SATA attribute's normalised value), the string 'N/A' for HDDs;
//   gpt 0/1, osdid -1, "osdid-list" null. Permission: Sys.Audit on / OR /nodes/{node}.
// - /nodes/{node}/disks/zfs (name,size,alloc,free,frag,dedup,health: numbers) and …/zfs/{name}
//   ({name,state,status?,action?,scan,errors,children:[vdev tree {name,state,read,write,cksum,msg,leaf?}]}):
//   pve-storage src/PVE/API2/Disks/ZFS.pm (Sys.Audit on /).
// - /nodes/{node}/disks/lvmthin: pve-storage API2/Disks/LVMThin.pm + LvmThinPlugin::list_thinpools
//   (lv, vg, lv_size, used, metadata_size, metadata_used in bytes, plus lvm_list_volumes' lv_type
//   't' and lv_state); Sys.Audit or Datastore.Audit on /.
// - /cluster/ha/status/current: pve-ha-manager src/PVE/API2/HA/Status.pm (entries quorum, master,
//   lrm:<node> with "<node> (<state>, <localtime>)" and "old timestamp - dead?" after 30 s,
//   service:<sid> with crm_state, state, request_state, max_restart, max_relocate; `group` up to
//   PVE 8, `failback` on PVE 9 (node affinity rules)). Sys.Audit on /.
// - /cluster/ceph/status: pve-manager PVE/API2/Cluster/Ceph.pm, the `ceph -s` JSON (health.status,
//   health.checks.<NAME>.{severity,summary.{message,count},muted}, flat osdmap since Pacific,
//   pgmap); without Ceph: 500 "pveceph configuration not initialized". /nodes/{node}/ceph/pool:
//   PVE/API2/Ceph/Pool.pm (pool, pool_name, size, min_size, bytes_used, percent_used 0..1).
// - /nodes/{node}/replication: pve-manager PVE/API2/Replication.pm (jobs of this node, entries the
//   token lacks VM.Audit on are silently dropped; last_sync, last_try, duration, fail_count, error
//   only when set).
// - /nodes/{node}/certificates/info: pve-manager PVE/API2/Certificates.pm + pve-common
//   Certificate.pm (any user; filename, subject, issuer, notbefore, notafter, fingerprint, san, pem,
//   public-key-type, public-key-bits).
// - /nodes/{node}/apt/versions: pve-manager PVE/API2/APT.pm (Sys.Audit on /nodes/{node}; Package,
//   Version (candidate), OldVersion (installed), CurrentState; RunningKernel on proxmox-ve,
//   ManagerVersion on pve-manager; kernels /^(?:pve|proxmox)-kernel-/ newest first).
import { die500, paramError } from '../http-error.ts';
import { allowed, requirePriv } from '../permissions.ts';
import type { Route, RouteContext } from '../router.ts';
import { jobGuests, kernelPackage, type SimHealth } from '../health-world.ts';
import type { SimGuest } from '../types.ts';
import { nodeOrThrow } from './lookup.ts';

function health(ctx: RouteContext): SimHealth {
  const h = ctx.cluster.health;
  if (!h) throw die500('health state missing');
  return h;
}

/** Sys.Audit or another privilege on one of the paths (Proxmox's `any => 1` / `or` checks). */
function requireAny(ctx: RouteContext, checks: Array<[string, string]>): void {
  if (checks.some(([p, priv]) => allowed(ctx.world.privileges, p, priv))) return;
  requirePriv(ctx.world.privileges, checks[0]![0], checks[0]![1]);
}

const sysAudit = (ctx: RouteContext) => requirePriv(ctx.world.privileges, '/', 'Sys.Audit');

/** Perl's scalar localtime (UTC here): "Mon Dec  7 00:34:58 2026". */
function localtime(sec: number): string {
  const d = new Date(Math.floor(sec) * 1000);
  const days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const p = (n: number) => String(n).padStart(2, '0');
  return `${days[d.getUTCDay()]} ${months[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2, ' ')} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} ${d.getUTCFullYear()}`;
}

/** Next run of a daily "HH:MM" schedule after nowSec. */
function nextDaily(schedule: string, nowSec: number): number {
  const m = /^(\d{1,2}):(\d{2})$/.exec(schedule);
  const day = Math.floor(nowSec / 86_400) * 86_400;
  if (!m) return day + 86_400;
  const at = day + Number(m[1]) * 3600 + Number(m[2]) * 60;
  return at > nowSec ? at : at + 86_400;
}

function backupJobs(ctx: RouteContext) {
  sysAudit(ctx);
  const major = ctx.world.profile.major;
  return health(ctx).backupJobs.map((j) => {
    const o: Record<string, unknown> = { id: j.id, type: 'vzdump', schedule: j.schedule, storage: j.storage, mode: j.mode, compress: 'zstd', 'next-run': nextDaily(j.schedule, Math.floor(ctx.nowSec)) };
    if (major >= 8 || !j.enabled) o.enabled = j.enabled;
    if (j.all) o.all = 1;
    else o.vmid = j.vmids.join(',');
    if (j.exclude.length) o.exclude = j.exclude.join(',');
    if (j.comment) o.comment = j.comment;
    if (major >= 8) {
      o['notes-template'] = '{{guestname}}';
      o['repeat-missed'] = 0;
    }
    o.mailnotification = 'failure';
    return o;
  });
}

function includedVolumes(ctx: RouteContext) {
  sysAudit(ctx);
  const h = health(ctx);
  const job = h.backupJobs.find((j) => j.id === ctx.params.id);
  if (!job) throw die500(`Job '${ctx.params.id}' not found\n`);
  return {
    children: jobGuests(job, ctx.cluster.guests.values()).map((g) => {
      const disk = g.type === 'qemu' ? 'scsi0' : 'rootfs';
      const vols = [{ id: disk, name: `local-lvm:${g.type === 'qemu' ? 'vm' : 'subvol'}-${g.vmid}-disk-0`, included: 1, reason: 'default' }];
      for (const v of h.excludedVolumes.get(g.vmid) ?? []) vols.push({ id: v.id, name: v.name, included: 0, reason: 'backup=no' });
      return { id: g.vmid, name: g.name, type: g.type, children: vols };
    }),
  };
}

function notBackedUp(ctx: RouteContext) {
  sysAudit(ctx);
  const covered = new Set<number>();
  for (const j of health(ctx).backupJobs) if (j.enabled) for (const g of jobGuests(j, ctx.cluster.guests.values())) covered.add(g.vmid);
  return [...ctx.cluster.guests.values()]
    .filter((g) => !covered.has(g.vmid))
    .sort((a, b) => a.vmid - b.vmid)
    .map((g) => ({ vmid: g.vmid, name: g.name, type: g.type }));
}

function disks(ctx: RouteContext) {
  const n = nodeOrThrow(ctx);
  requireAny(ctx, [['/', 'Sys.Audit'], [`/nodes/${n.name}`, 'Sys.Audit']]);
  const skip = ctx.args.skipsmart === '1';
  return (health(ctx).disks.get(n.name) ?? []).map((d) => {
    const o: Record<string, unknown> = { devpath: d.devpath, size: d.size, gpt: 1, rpm: d.rpm, type: d.type, model: d.model, serial: d.serial, vendor: d.vendor, wwn: d.wwn, health: skip ? 'UNKNOWN' : d.health, wearout: skip ? 'N/A' : d.wearout, osdid: -1, 'osdid-list': null, by_id_link: `/dev/disk/by-id/${d.type === 'nvme' ? 'nvme' : 'ata'}-${d.model.replace(/\s+/g, '_')}_${d.serial}` };
    if (d.used) o.used = d.used;
    return o;
  });
}

function zfsList(ctx: RouteContext) {
  const n = nodeOrThrow(ctx);
  sysAudit(ctx);
  return (health(ctx).zfs.get(n.name) ?? []).map((p) => {
    const alloc = Math.round(p.size * p.allocFraction);
    return { name: p.name, size: p.size, alloc, free: p.size - alloc, frag: p.frag, dedup: p.dedup, health: p.health };
  });
}

function zfsDetail(ctx: RouteContext) {
  const n = nodeOrThrow(ctx);
  sysAudit(ctx);
  const p = (health(ctx).zfs.get(n.name) ?? []).find((x) => x.name === ctx.params.name);
  if (!p) throw die500(`command '/sbin/zpool status -P ${ctx.params.name}' failed: exit code 1\n`);
  const vdevState = p.leaves.some((l) => l.state !== 'ONLINE') ? 'DEGRADED' : 'ONLINE';
  const leaves = p.leaves.map((l) => ({ name: l.name, state: l.state, read: l.read, write: l.write, cksum: l.cksum, msg: '', lvl: 3, leaf: 1 }));
  const scrub = new Date(p.lastScrubEnd * 1000);
  const o: Record<string, unknown> = {
    name: p.name,
    state: p.health,
    scan: `scrub repaired 0B in 00:25:${String(p.frag % 60).padStart(2, '0')} with 0 errors on ${localtime(scrub.getTime() / 1000)}`,
    errors: p.errors,
    children: [{ name: p.name, state: p.health, read: 0, write: 0, cksum: 0, msg: '', lvl: 1, children: [{ name: p.layout, state: vdevState, read: 0, write: 0, cksum: 0, msg: '', lvl: 2, children: leaves }] }],
  };
  if (p.status) o.status = p.status;
  if (p.action) o.action = p.action;
  return o;
}

function lvmthin(ctx: RouteContext) {
  const n = nodeOrThrow(ctx);
  requireAny(ctx, [['/', 'Sys.Audit'], ['/', 'Datastore.Audit']]);
  return (health(ctx).thin.get(n.name) ?? []).map((t) => ({
    lv: t.lv, vg: t.vg, lv_type: 't', lv_state: 'a', lv_size: t.size, used: Math.round(t.size * t.usedFraction),
    metadata_size: t.metadataSize, metadata_used: Math.round(t.metadataSize * t.metadataFraction), ctime: 1_700_000_000,
  }));
}

/** The guest's HA state; /cluster/resources shows the same (`hastate`). */
function haState(g: SimGuest, _h: SimHealth): string | undefined {
  return g.hastate;
}

function haCurrent(ctx: RouteContext) {
  sysAudit(ctx);
  const h = health(ctx);
  const now = Math.floor(ctx.nowSec);
  const online = ctx.cluster.nodes.filter((n) => n.offlineSince === null);
  const quorate = online.length * 2 > ctx.cluster.nodes.length;
  const res: Record<string, unknown>[] = [{ id: 'quorum', type: 'quorum', node: ctx.local, status: quorate ? 'OK' : `No quorum on node '${ctx.local}'!`, quorate: quorate ? 1 : 0 }];
  const services = [...ctx.cluster.guests.values()].filter((g) => g.hastate !== undefined).sort((a, b) => a.vmid - b.vmid);
  if (!services.length) return res;
  const master = online[0]?.name ?? ctx.cluster.nodes[0]!.name;
  res.push({ id: 'master', type: 'master', node: master, status: `${master} (active, ${localtime(now - 3)})`, timestamp: now - 3 });
  for (const n of [...ctx.cluster.nodes].sort((a, b) => a.name.localeCompare(b.name))) {
    if (n.offlineSince !== null) {
      const ts = n.offlineSince;
      res.push({ id: `lrm:${n.name}`, type: 'lrm', node: n.name, status: `${n.name} (old timestamp - dead?, ${localtime(ts)})`, timestamp: ts });
    } else {
      const active = services.some((g) => g.node === n.name && haState(g, h) === 'started');
      res.push({ id: `lrm:${n.name}`, type: 'lrm', node: n.name, status: `${n.name} (${active ? 'active' : 'idle'}, ${localtime(now - 5)})`, timestamp: now - 5 });
    }
  }
  for (const g of services) {
    const sid = `${g.type === 'qemu' ? 'vm' : 'ct'}:${g.vmid}`;
    const state = haState(g, h)!;
    const o: Record<string, unknown> = { id: `service:${sid}`, type: 'service', sid, node: g.node, crm_state: state, state, status: `${sid} (${g.node}, ${state})`, request_state: 'started', max_restart: 1, max_relocate: 1 };
    if (ctx.world.profile.major >= 9) o.failback = 1;
    res.push(o);
  }
  return res;
}

function cephStatus(ctx: RouteContext) {
  requireAny(ctx, [['/', 'Sys.Audit'], ['/', 'Datastore.Audit']]);
  const c = health(ctx).ceph;
  if (!c) throw die500('pveceph configuration not initialized\n');
  const checks = Object.fromEntries(Object.entries(c.checks).map(([k, v]) => [k, { severity: v.severity, summary: { message: v.message, count: v.count }, muted: false }]));
  const release = ctx.world.profile.major === 7 ? ['17.2.7', 'quincy'] : ctx.world.profile.major === 8 ? ['18.2.4', 'reef'] : ['19.2.3', 'squid'];
  const used = c.pools.reduce((a, p) => a + p.used, 0);
  const total = c.osds * 4_000_787_030_016;
  return {
    fsid: 'c5c5a2b3-4d1e-4f6a-9b0c-1d2e3f4a5b6c',
    health: { status: c.health, checks, mutes: [] },
    election_epoch: 42,
    quorum: ctx.cluster.nodes.map((_n, i) => i),
    quorum_names: ctx.cluster.nodes.map((n) => n.name),
    quorum_age: 86_400 * 3,
    monmap: { epoch: 3, min_mon_release_name: release[1], num_mons: ctx.cluster.nodes.length },
    osdmap: { epoch: 512, num_osds: c.osds, num_up_osds: c.osdsUp, osd_up_since: Math.floor(ctx.nowSec) - 7200, num_in_osds: c.osdsIn, osd_in_since: Math.floor(ctx.nowSec) - 86_400 * 30, num_remapped_pgs: 0 },
    pgmap: { pgs_by_state: [{ state_name: 'active+clean', count: 107 }, { state_name: 'active+undersized+degraded', count: 21 }], num_pgs: 128, num_pools: c.pools.length, num_objects: 1082, data_bytes: Math.round(used / 3), bytes_used: used, bytes_avail: total - used, bytes_total: total },
    fsmap: { epoch: 1, by_rank: [], up: 0, in: 0, max: 0 },
    mgrmap: { available: true, num_standbys: ctx.cluster.nodes.length - 1, modules: ['iostat', 'nfs', 'restful'], services: {} },
    servicemap: { epoch: 12, modified: new Date(ctx.nowMs - 3_600_000).toISOString(), services: {} },
    progress_events: {},
  };
}

function cephPools(ctx: RouteContext) {
  nodeOrThrow(ctx);
  requireAny(ctx, [['/', 'Datastore.Audit'], ['/', 'Sys.Audit']]);
  const c = health(ctx).ceph;
  if (!c) throw die500('pveceph configuration not initialized\n');
  return c.pools.map((p) => ({
    pool: p.id, pool_name: p.name, size: p.size, min_size: p.minSize, pg_num: p.id === 1 ? 1 : 128, pg_autoscale_mode: 'on',
    crush_rule: 0, crush_rule_name: 'replicated_rule', type: 'replicated', bytes_used: p.used, percent_used: p.percentUsed,
    application_metadata: { [p.name === '.mgr' ? 'mgr' : 'rbd']: {} },
  }));
}

function replication(ctx: RouteContext) {
  const n = nodeOrThrow(ctx);
  const guest = ctx.args.guest;
  return health(ctx)
    .replication.filter((r) => r.source === n.name && (!guest || String(r.guest) === guest))
    .filter((r) => allowed(ctx.world.privileges, `/vms/${r.guest}`, 'VM.Audit'))
    .map((r) => {
      const o: Record<string, unknown> = {
        id: r.id, jobnum: Number(r.id.split('-')[1]), guest: r.guest, target: r.target, type: 'local', schedule: r.schedule, source: r.source,
        vmtype: ctx.cluster.guests.get(r.guest)?.type ?? 'qemu', last_sync: r.lastSync, last_try: r.lastTry, duration: r.duration,
        fail_count: r.failCount, next_sync: r.failCount ? r.lastTry + 60 * Math.min(30, 5 * r.failCount) : r.lastTry + 900,
      };
      if (r.error) o.error = r.error;
      return o;
    });
}

function certificates(ctx: RouteContext) {
  const n = nodeOrThrow(ctx);
  return (health(ctx).certs.get(n.name) ?? []).map((c) => ({
    filename: c.filename, fingerprint: c.fingerprint, issuer: c.issuer, subject: c.subject, notbefore: c.notbefore, notafter: c.notafter,
    'public-key-type': 'rsaEncryption', 'public-key-bits': 2048, san: c.san,
    pem: '-----BEGIN CERTIFICATE-----\nMIIB (simulated)\n-----END CERTIFICATE-----\n',
  }));
}

function aptVersions(ctx: RouteContext) {
  const n = nodeOrThrow(ctx);
  requirePriv(ctx.world.privileges, `/nodes/${n.name}`, 'Sys.Audit');
  const sw = health(ctx).software.get(n.name);
  if (!sw) throw paramError({ node: 'no such node' });
  const p = ctx.world.profile;
  const pkg = (name: string, version: string, extra: Record<string, unknown> = {}) => ({
    Package: name, Title: name, Description: `${name} package`, Version: version, OldVersion: version, CurrentState: 'Installed',
    Section: 'admin', Arch: 'amd64', Priority: 'optional', Origin: 'Proxmox', ...extra,
  });
  const ve = p.major === 7 ? '7.4-1' : p.major === 8 ? '8.4.0' : '9.0.0';
  const list: Record<string, unknown>[] = [pkg('proxmox-ve', ve, { RunningKernel: sw.runningKernel }), pkg('pve-manager', sw.managerVersion, { ManagerVersion: `${sw.managerVersion}/${p.repoid}` })];
  for (const k of sw.kernels) list.push(pkg(kernelPackage(p, k), k.replace(/-pve$/, '')));
  list.push(pkg('pve-ha-manager', p.major === 7 ? '3.6.1' : p.major === 8 ? '4.0.7' : '5.0.4'), pkg('qemu-server', p.major === 7 ? '7.4-4' : p.major === 8 ? '8.3.12' : '9.0.16'), pkg('zfsutils-linux', p.major === 7 ? '2.1.11-pve1' : '2.2.7-pve2'));
  return list;
}

/** Routes of the health endpoints. */
export const healthRoutes: Route[] = [
  { method: 'GET', template: '/cluster/backup', proxied: false, handle: backupJobs },
  { method: 'GET', template: '/cluster/backup/{id}/included_volumes', proxied: false, handle: includedVolumes },
  { method: 'GET', template: '/cluster/backup-info/not-backed-up', proxied: false, handle: notBackedUp },
  { method: 'GET', template: '/cluster/ha/status/current', proxied: false, handle: haCurrent },
  { method: 'GET', template: '/cluster/ceph/status', proxied: false, handle: cephStatus },
  { method: 'GET', template: '/nodes/{node}/ceph/pool', proxied: true, handle: cephPools },
  { method: 'GET', template: '/nodes/{node}/disks/list', proxied: true, handle: disks },
  { method: 'GET', template: '/nodes/{node}/disks/zfs', proxied: true, handle: zfsList },
  { method: 'GET', template: '/nodes/{node}/disks/zfs/{name}', proxied: true, handle: zfsDetail },
  { method: 'GET', template: '/nodes/{node}/disks/lvmthin', proxied: true, handle: lvmthin },
  { method: 'GET', template: '/nodes/{node}/replication', proxied: true, handle: replication },
  { method: 'GET', template: '/nodes/{node}/certificates/info', proxied: true, handle: certificates },
  { method: 'GET', template: '/nodes/{node}/apt/versions', proxied: true, handle: aptVersions },
];
