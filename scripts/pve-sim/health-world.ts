// The health side of the simulated world (issue #15): backup jobs and their task logs, local
// disks with SMART, ZFS and LVM-thin pools, HA, Ceph, replication, node certificates and package
// versions. Generated once per cluster from the seed and the start day (the anchor), with the
// README's test states placed on cluster1:
//   a failed and a missing backup, a guest in no job, a disk excluded from backup, a SMART FAILED
//   disk, wearout at 95 %, a DEGRADED pool with checksum errors, a thin pool with metadata at 90 %,
//   an HA service in `error` (a node fenced when the `offline` fault holds it > 60 s), Ceph
//   HEALTH_WARN, a failing replication job, a certificate expiring in 10 days, a node needing a reboot.
// Other clusters are healthy and have no Ceph.
import { formatUpid } from '../../agent/pve/upid.ts';
import type { PveProfile } from './profiles.ts';
import { hashInts, unit } from './rng.ts';
import { startProcess, stopProcess } from './guest-state.ts';
import type { SimCluster, SimGuest, SimNode, SimTask } from './types.ts';

const DAY = 86_400;
const GiB = 1024 ** 3;

export interface SimBackupJob {
  id: string;
  schedule: string;
  storage: string;
  mode: string;
  enabled: 0 | 1;
  /** Selection: all guests (minus exclude), or a vmid list. */
  all: boolean;
  vmids: number[];
  exclude: number[];
  comment?: string;
}

export interface SimDisk {
  devpath: string;
  type: 'hdd' | 'ssd' | 'nvme';
  model: string;
  serial: string;
  vendor: string;
  wwn: string;
  size: number;
  rpm: number;
  health: string;
  /** As the API reports it: percent of life REMAINING (100 = new), 'N/A' for HDDs. */
  wearout: number | 'N/A';
  used?: string;
}

export interface SimZfsPool {
  name: string;
  size: number;
  allocFraction: number;
  frag: number;
  dedup: number;
  health: string;
  /** Leaf vdevs with their error counters. */
  leaves: Array<{ name: string; state: string; read: number; write: number; cksum: number }>;
  layout: string;
  lastScrubEnd: number;
  errors: string;
  status?: string;
  action?: string;
}

export interface SimThinPool {
  vg: string;
  lv: string;
  size: number;
  usedFraction: number;
  metadataSize: number;
  metadataFraction: number;
}

export interface SimReplication {
  id: string;
  guest: number;
  source: string;
  target: string;
  schedule: string;
  lastSync: number;
  lastTry: number;
  duration: number;
  failCount: number;
  error?: string;
}

export interface SimNodeCert {
  filename: string;
  subject: string;
  issuer: string;
  notbefore: number;
  notafter: number;
  fingerprint: string;
  san: string[];
}

export interface SimNodeSoftware {
  runningKernel: string;
  /** Installed kernel releases, newest first. */
  kernels: string[];
  managerVersion: string;
}

export interface SimHealth {
  backupJobs: SimBackupJob[];
  /** vmid → volumes with backup=0. */
  excludedVolumes: Map<number, Array<{ id: string; name: string }>>;
  disks: Map<string, SimDisk[]>;
  zfs: Map<string, SimZfsPool[]>;
  thin: Map<string, SimThinPool[]>;
  /** HA sids whose service sits in the `error` state. */
  haErrors: Set<number>;
  ceph: { health: string; checks: Record<string, { severity: string; message: string; count: number }>; osds: number; osdsUp: number; osdsIn: number; pools: Array<{ id: number; name: string; size: number; minSize: number; used: number; percentUsed: number; maxAvail: number }> } | null;
  replication: SimReplication[];
  certs: Map<string, SimNodeCert[]>;
  software: Map<string, SimNodeSoftware>;
}

function fp(key: number): string {
  const bytes: string[] = [];
  for (let i = 0; i < 32; i++) bytes.push((hashInts(key, i) & 0xff).toString(16).padStart(2, '0').toUpperCase());
  return bytes.join(':');
}

/** Kernel package names per major version (pve-manager APT.pm lists /^(?:pve|proxmox)-kernel-/). */
export function kernelPackage(profile: PveProfile, release: string): string {
  return profile.major === 7 ? `pve-kernel-${release}` : `proxmox-kernel-${release}-signed`;
}

/** The release one patch level above `release` ("6.8.12-9-pve" → "6.8.12-10-pve"). */
function newerKernel(release: string): string {
  return release.replace(/-(\d+)-pve$/, (_m, n: string) => `-${Number(n) + 1}-pve`);
}

function disksOf(seed: number, ci: number, ni: number, test: boolean): SimDisk[] {
  const k = (i: number) => hashInts(seed, ci, ni, 0xd15c + i);
  const serial = (i: number) => `S${(k(i) >>> 0).toString(36).toUpperCase().padStart(7, '0')}`;
  const list: SimDisk[] = [
    { devpath: '/dev/nvme0n1', type: 'nvme', model: 'Samsung SSD 980 PRO 1TB', serial: serial(0), vendor: 'unknown', wwn: `eui.${(k(10) >>> 0).toString(16).padStart(16, '0')}`, size: 1_000_204_886_016, rpm: 0, health: 'PASSED', wearout: 100 - Math.floor(unit(k(20)) * 20), used: 'LVM' },
    { devpath: '/dev/sda', type: 'hdd', model: 'ST4000NM0035-1V4107', serial: serial(1), vendor: 'ATA', wwn: `0x5000c500${(k(11) >>> 0).toString(16).padStart(8, '0')}`, size: 4_000_787_030_016, rpm: 7200, health: 'PASSED', wearout: 'N/A', used: 'ZFS' },
    { devpath: '/dev/sdb', type: 'hdd', model: 'ST4000NM0035-1V4107', serial: serial(2), vendor: 'ATA', wwn: `0x5000c500${(k(12) >>> 0).toString(16).padStart(8, '0')}`, size: 4_000_787_030_016, rpm: 7200, health: 'PASSED', wearout: 'N/A', used: 'ZFS' },
  ];
  if (test && ni === 0) list[0]!.wearout = 5; // 95 % of rated life used
  if (test && ni === 1) list[2]!.health = 'FAILED';
  return list;
}

function zfsOf(seed: number, ci: number, ni: number, anchor: number, test: boolean): SimZfsPool[] {
  const k = hashInts(seed, ci, ni, 0x2f5);
  const pool: SimZfsPool = {
    name: 'tank',
    size: 3_985_729_650_688,
    allocFraction: 0.3 + 0.4 * unit(k),
    frag: Math.floor(5 + 30 * unit(k, 1)),
    dedup: 1,
    health: 'ONLINE',
    layout: 'mirror-0',
    leaves: [
      { name: '/dev/disk/by-id/ata-ST4000NM0035-1V4107_A-part1', state: 'ONLINE', read: 0, write: 0, cksum: 0 },
      { name: '/dev/disk/by-id/ata-ST4000NM0035-1V4107_B-part1', state: 'ONLINE', read: 0, write: 0, cksum: 0 },
    ],
    lastScrubEnd: anchor - (3 + Math.floor(unit(k, 2) * 10)) * DAY + 1500,
    errors: 'No known data errors',
  };
  if (test && ni === 1) {
    pool.health = 'DEGRADED';
    pool.leaves[1] = { ...pool.leaves[1]!, state: 'DEGRADED', cksum: 14 };
    pool.status = 'One or more devices has experienced an unrecoverable error.  An\nattempt was made to correct the error.  Applications are unaffected.';
    pool.action = "Determine if the device needs to be replaced, and clear the errors\nusing 'zpool clear' or replace the device with 'zpool replace'.";
    pool.lastScrubEnd = anchor - 40 * DAY + 1500;
  }
  return [pool];
}

function thinOf(seed: number, ci: number, ni: number, test: boolean): SimThinPool[] {
  const k = hashInts(seed, ci, ni, 0x7410);
  const size = (400 + 200 * Math.floor(unit(k) * 8)) * GiB;
  return [{ vg: 'pve', lv: 'data', size, usedFraction: 0.25 + 0.5 * unit(k, 1), metadataSize: 4_294_967_296 / 256, metadataFraction: test && ni === 0 ? 0.9 : 0.05 + 0.3 * unit(k, 2) }];
}

function certsOf(seed: number, ci: number, ni: number, node: SimNode, anchor: number, test: boolean, clusterName: string): SimNodeCert[] {
  const k = hashInts(seed, ci, ni, 0xce27);
  const ca = `/CN=Proxmox Virtual Environment/OU=${(hashInts(seed, ci, 0xca) >>> 0).toString(16)}/O=PVE Cluster Manager CA`;
  const list: SimNodeCert[] = [
    { filename: 'pve-root-ca.pem', subject: ca, issuer: ca, notbefore: anchor - 400 * DAY, notafter: anchor + 9 * 365 * DAY, fingerprint: fp(hashInts(seed, ci, 0xca)), san: [] },
    { filename: 'pve-ssl.pem', subject: `/OU=PVE Cluster Node/O=Proxmox Virtual Environment/CN=${node.name}.${clusterName}.lan`, issuer: ca, notbefore: anchor - 300 * DAY, notafter: anchor + 430 * DAY, fingerprint: fp(k), san: ['127.0.0.1', '0000:0000:0000:0000:0000:0000:0000:0001', 'localhost', node.ip, node.name, `${node.name}.${clusterName}.lan`] },
  ];
  if (ni === 0) {
    // An ACME certificate on the first node; on cluster1 it expires in 10 days (renewal failing).
    const notafter = test ? anchor + 10 * DAY : anchor + 70 * DAY;
    list.push({ filename: 'pveproxy-ssl.pem', subject: `/CN=${node.name}.example.org`, issuer: "/C=US/O=Let's Encrypt/CN=R11", notbefore: notafter - 90 * DAY, notafter, fingerprint: fp(k + 1), san: [`${node.name}.example.org`] });
  }
  return list;
}

/** Builds the health state of one cluster; `test` places the README's test states (cluster1). */
export function makeHealth(seed: number, cluster: SimCluster, profile: PveProfile, anchor: number): SimHealth {
  const ci = cluster.index;
  const test = ci === 0;
  const guests = [...cluster.guests.values()].sort((a, b) => a.vmid - b.vmid);
  const noJob = test ? guests.find((g) => g.vmid === 107) : undefined;
  const h: SimHealth = {
    backupJobs: [
      { id: `backup-${(hashInts(seed, ci, 0xb1) >>> 0).toString(16).padStart(8, '0')}-${(hashInts(seed, ci, 0xb2) & 0xffff).toString(16).padStart(4, '0')}`, schedule: '21:00', storage: cluster.nodes.length > 1 ? 'nas' : 'local', mode: 'snapshot', enabled: 1, all: true, vmids: [], exclude: noJob ? [noJob.vmid] : [], comment: 'nightly' },
    ],
    excludedVolumes: new Map(),
    disks: new Map(),
    zfs: new Map(),
    thin: new Map(),
    haErrors: new Set(),
    ceph: null,
    replication: [],
    certs: new Map(),
    software: new Map(),
  };
  if (test && guests.some((g) => g.vmid === 108 && g.type === 'qemu')) h.excludedVolumes.set(108, [{ id: 'scsi1', name: 'local-lvm:vm-108-disk-1' }]);
  else if (test && guests.some((g) => g.vmid === 108)) h.excludedVolumes.set(108, [{ id: 'mp0', name: 'local-lvm:vm-108-disk-1' }]);
  for (const [ni, n] of cluster.nodes.entries()) {
    h.disks.set(n.name, disksOf(seed, ci, ni, test));
    h.zfs.set(n.name, zfsOf(seed, ci, ni, anchor, test));
    h.thin.set(n.name, thinOf(seed, ci, ni, test));
    h.certs.set(n.name, certsOf(seed, ci, ni, n, anchor, test, cluster.pveName ?? 'standalone'));
    const running = profile.kernelRelease;
    const reboot = test && ni === cluster.nodes.length - 1 && cluster.nodes.length > 1;
    h.software.set(n.name, { runningKernel: running, kernels: reboot ? [newerKernel(running), running] : [running], managerVersion: profile.version });
  }
  if (test) {
    // An HA resource in the `error` state (its start failed too often); /cluster/resources agrees.
    const ha = guests.find((g) => g.vmid === 108);
    if (ha) {
      h.haErrors.add(ha.vmid);
      ha.hastate = 'error';
    }
    if (cluster.nodes.length >= 3) {
      h.ceph = {
        health: 'HEALTH_WARN',
        checks: { OSD_DOWN: { severity: 'HEALTH_WARN', message: '1 osds down', count: 1 }, PG_DEGRADED: { severity: 'HEALTH_WARN', message: 'Degraded data redundancy: 212/3246 objects degraded (6.531%), 21 pgs degraded, 21 pgs undersized', count: 21 } },
        osds: cluster.nodes.length * 2,
        osdsUp: cluster.nodes.length * 2 - 1,
        osdsIn: cluster.nodes.length * 2,
        pools: [
          { id: 1, name: '.mgr', size: 3, minSize: 2, used: 1_585_152, percentUsed: 1.2e-7, maxAvail: 1_800_000_000_000 },
          { id: 2, name: 'ceph-vm', size: 3, minSize: 2, used: 2_150_000_000_000, percentUsed: 0.4432, maxAvail: 1_800_000_000_000 },
        ],
      };
    }
  }
  if (cluster.nodes.length > 1) {
    const repl = guests.filter((g) => g.template === 0 && g.type === 'qemu' && g.vmid !== 108).slice(0, 2);
    for (const [i, g] of repl.entries()) {
      const src = cluster.nodes.findIndex((n) => n.name === g.node);
      const target = cluster.nodes[(src + 1) % cluster.nodes.length]!.name;
      const failing = test && i === 0;
      h.replication.push({
        id: `${g.vmid}-0`, guest: g.vmid, source: g.node, target, schedule: '*/15',
        lastSync: failing ? anchor - 2 * DAY + 900 : anchor, lastTry: anchor, duration: failing ? 2.13 : 4.51 + i,
        failCount: failing ? 3 : 0,
        ...(failing ? { error: `command 'set -o pipefail && pvesm export local-zfs:vm-${g.vmid}-disk-0 zfs - -with-snapshots 1 -snapshot __replicate_${g.vmid}-0_${anchor}__ | /usr/bin/ssh -e none -o 'BatchMode=yes' -o 'HostKeyAlias=${target}' root@192.0.2.1 -- pvesm import local-zfs:vm-${g.vmid}-disk-0 zfs - -with-snapshots 1 -allow-rename 0' failed: exit code 255` } : {}),
      });
    }
  }
  return h;
}

/** Which guests a job covers (all minus exclude, or its list), templates included as vzdump does. */
export function jobGuests(job: SimBackupJob, guests: Iterable<SimGuest>): SimGuest[] {
  const list = [...guests].sort((a, b) => a.vmid - b.vmid);
  return job.all ? list.filter((g) => !job.exclude.includes(g.vmid)) : list.filter((g) => job.vmids.includes(g.vmid));
}

function fmtDate(sec: number): string {
  return new Date(sec * 1000).toISOString().replace('T', ' ').slice(0, 19);
}

function hms(s: number): string {
  return [Math.floor(s / 3600), Math.floor((s % 3600) / 60), s % 60].map((v) => String(v).padStart(2, '0')).join(':');
}

/**
 * The vzdump job task a node ran for a scheduled job, with the log vzdump writes (pve-manager
 * PVE/VZDump.pm: "Starting Backup of VM", "creating vzdump archive", "archive file size",
 * "Finished Backup of VM (HH:MM:SS)", "ERROR: Backup of VM … failed - …", "Backup job finished
 * with errors", "TASK ERROR: job errors").
 */
export function jobTask(seed: number, cluster: SimCluster, node: SimNode, job: SimBackupJob, guests: SimGuest[], starttime: number, failVmids: Set<number>): SimTask {
  const pid = node.nextPid++;
  const pstart = (starttime - node.bootAt) * 100;
  const log: string[] = [`INFO: starting new backup job: vzdump --all 1 --storage ${job.storage} --mode ${job.mode} --compress zstd --quiet 1 --notes-template '{{guestname}}'${job.exclude.length ? ` --exclude ${job.exclude.join(',')}` : ''}`];
  let t = starttime + 1;
  let errors = 0;
  for (const g of guests) {
    const secs = 30 + (hashInts(seed, g.vmid, starttime) % 400);
    const kind = g.type === 'qemu' ? 'qemu' : 'lxc';
    log.push(`INFO: Starting Backup of VM ${g.vmid} (${kind})`, `INFO: Backup started at ${fmtDate(t)}`, `INFO: status = ${g.status}`);
    if (failVmids.has(g.vmid)) {
      log.push(`ERROR: Backup of VM ${g.vmid} failed - unable to create temporary directory '/mnt/pve/${job.storage}/dump/vzdump-${kind}-${g.vmid}-${fmtDate(t).replace(/[-: ]/g, '_')}.tmp' - Permission denied`);
      errors++;
      t += 3;
      continue;
    }
    const stamp = fmtDate(t).replace(' ', '-').replace(/[-:]/g, '_');
    const ext = kind === 'qemu' ? 'vma.zst' : 'tar.zst';
    const size = Math.round((0.5 + 8 * unit(hashInts(seed, g.vmid, 0x517e))) * GiB);
    log.push(
      `INFO: creating vzdump archive '/mnt/pve/${job.storage}/dump/vzdump-${kind}-${g.vmid}-${stamp}.${ext}'`,
      `INFO: archive file size: ${(size / GiB).toFixed(2)}GB`,
      `INFO: adding notes to backup`,
      `INFO: Finished Backup of VM ${g.vmid} (${hms(secs)})`,
      `INFO: Backup finished at ${fmtDate(t + secs)}`,
    );
    t += secs + 1;
  }
  log.push(errors ? 'INFO: Backup job finished with errors' : 'INFO: Backup job finished successfully');
  return {
    upid: formatUpid({ node: node.name, pid, pstart, starttime, type: 'vzdump', id: '', user: 'root@pam' }),
    node: node.name,
    pid,
    pstart,
    starttime,
    type: 'vzdump',
    id: '',
    user: 'root@pam',
    endMs: t * 1000,
    exitstatus: errors ? 'job errors' : 'OK',
    log,
    done: true,
  };
}

/**
 * The scheduled job's runs of the last three nights, one task per node. cluster1's test states:
 * vmid 102 fails on the last night (a failed backup; its earlier good run stays the last good one),
 * vmid 106 fails every night (a missing backup: in the job, never backed up), 107 is in no job.
 */
export function seedJobTasks(seed: number, cluster: SimCluster, health: SimHealth, anchor: number): void {
  const job = health.backupJobs[0];
  if (!job) return;
  const covered = jobGuests(job, cluster.guests.values());
  for (let day = 3; day >= 1; day--) {
    const start = anchor - day * DAY + 21 * 3600;
    for (const node of cluster.nodes) {
      const mine = covered.filter((g) => g.node === node.name);
      if (!mine.length) continue;
      const fail = new Set<number>();
      if (cluster.index === 0) {
        fail.add(106);
        if (day === 1) fail.add(102);
      }
      cluster.tasks.push(jobTask(seed, cluster, node, job, mine, start, fail));
    }
  }
}

/** The test states that `repairHealth` can clear (the names follow the README's list). */
export type HealthTestState = 'noJob' | 'smartFailed' | 'wearout' | 'zfsDegraded' | 'thinMetadata' | 'haError' | 'ceph' | 'replication' | 'certificate' | 'reboot';

/**
 * A state switch for tests: repairs one of cluster1's test states the way an administrator
 * would (the guest added to the job, the disk replaced, `zpool clear`, the thin pool's metadata
 * extended, `ha-manager set --state started`, the OSD back, replication working again, the ACME
 * certificate renewed, the node rebooted into its newest kernel). The next read shows it healthy.
 */
export function repairHealth(cluster: SimCluster, state: HealthTestState, nowSec: number): void {
  const h = cluster.health;
  if (!h) return;
  switch (state) {
    case 'noJob':
      for (const j of h.backupJobs) j.exclude = [];
      break;
    case 'smartFailed':
      for (const list of h.disks.values()) for (const d of list) if (d.health === 'FAILED') d.health = 'PASSED';
      break;
    case 'wearout':
      for (const list of h.disks.values()) for (const d of list) if (typeof d.wearout === 'number' && d.wearout <= 20) d.wearout = 100;
      break;
    case 'zfsDegraded':
      for (const list of h.zfs.values()) {
        for (const p of list) {
          p.health = 'ONLINE';
          p.leaves = p.leaves.map((l) => ({ ...l, state: 'ONLINE', read: 0, write: 0, cksum: 0 }));
          delete p.status;
          delete p.action;
        }
      }
      break;
    case 'thinMetadata':
      for (const list of h.thin.values()) for (const t of list) if (t.metadataFraction >= 0.8) t.metadataFraction = 0.2;
      break;
    case 'haError':
      for (const vmid of h.haErrors) {
        const g = cluster.guests.get(vmid);
        if (g) g.hastate = 'started';
      }
      h.haErrors.clear();
      break;
    case 'ceph':
      if (h.ceph) Object.assign(h.ceph, { health: 'HEALTH_OK', checks: {}, osdsUp: h.ceph.osds });
      break;
    case 'replication':
      for (const r of h.replication) {
        if (r.failCount === 0) continue;
        Object.assign(r, { failCount: 0, lastSync: nowSec, lastTry: nowSec });
        delete r.error;
      }
      break;
    case 'certificate':
      for (const list of h.certs.values()) for (const c of list) if (c.notafter - nowSec < 30 * DAY) Object.assign(c, { notbefore: nowSec, notafter: nowSec + 90 * DAY });
      break;
    case 'reboot':
      for (const sw of h.software.values()) sw.runningKernel = sw.kernels[0] ?? sw.runningKernel;
      break;
  }
}

/**
 * A state switch for tests: the cluster's backup job saves guest `vmid` now, in `mode` (the job's
 * mode is set to it): vzdump holds the guest's `backup` lock, and in `stop` mode the guest is shut
 * down for the copy. `done` ends it: the lock goes and a guest stopped for it runs again.
 */
export function backupInProgress(cluster: SimCluster, vmid: number, mode: 'stop' | 'snapshot' | 'suspend', nowSec: number, done = false): void {
  const g = cluster.guests.get(vmid);
  const job = cluster.health?.backupJobs[0];
  if (!g || !job) return;
  job.mode = mode;
  if (!done) {
    g.lock = 'backup';
    if (mode === 'stop' && g.status === 'running') stopProcess(g, nowSec);
    return;
  }
  delete g.lock;
  const node = cluster.nodes.find((n) => n.name === g.node);
  if (mode === 'stop' && g.status === 'stopped' && node) startProcess(g, nowSec, node);
}
