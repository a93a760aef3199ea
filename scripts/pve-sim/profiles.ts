// PVE 7/8/9 profiles: the version strings and the field-shape switches of pve-api.md Appendix B.

export interface PveProfile {
  major: 7 | 8 | 9;
  /** pve-manager version as /version reports it ("7.4-16", "8.4.1", "9.0.4"). */
  version: string;
  release: string;
  repoid: string;
  kversion: string;
  kernelRelease: string;
  /** JSON error bodies carry `message` (libpve-http-server-perl >= 5.2.0, PVE 8.3+). */
  errorMessage: boolean;
  /** LXC list `vmid` as a string (pve-container < 5.0.10, before PVE 8.2). */
  lxcVmidString: boolean;
  /** node memory.available and used = total − MemAvailable (PVE 8.4+). */
  memAvailable: boolean;
  /** /cluster/metrics/export exists (pve-manager >= 8.2.5). */
  metricsExport: boolean;
  /** memhost + PSI pressure fields, PVE 9 RRD layout incl. node decade. */
  pve9Fields: boolean;
  /** current-kernel and boot-info in node status (newer). */
  newNodeStatus: boolean;
}

// The PVE 7 and 9 strings are real releases quoted in pve-api.md §3.1; the 8.x repoid is made up
// (16 hex digits, the post-8.0 shape) because pve-api.md quotes no 8.4 sample.
const BASE: Record<7 | 8 | 9, { version: string; repoid: string; kversion: string; kernelRelease: string }> = {
  7: {
    version: '7.4-16',
    repoid: '0f39f621',
    kversion: 'Linux 5.15.108-1-pve #1 SMP PVE 5.15.108-2 (2023-07-20T10:06Z)',
    kernelRelease: '5.15.108-1-pve',
  },
  8: {
    version: '8.4.1',
    repoid: '2a5fa54a8503f96d',
    kversion: 'Linux 6.8.12-9-pve #1 SMP PREEMPT_DYNAMIC PMX 6.8.12-9 (2025-03-16T19:18Z)',
    kernelRelease: '6.8.12-9-pve',
  },
  9: {
    version: '9.0.4',
    repoid: '39d8a4de7dfb2c40',
    kversion: 'Linux 6.14.8-2-pve #1 SMP PREEMPT_DYNAMIC PMX 6.14.8-2 (2025-07-22T10:04Z)',
    kernelRelease: '6.14.8-2-pve',
  },
};

function versionTuple(v: string): [number, number, number] {
  const m = /^(\d+)\.(\d+)[.-](\d+)/.exec(v);
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : [0, 0, 0];
}

function atLeast(v: [number, number, number], min: [number, number, number]): boolean {
  for (let i = 0; i < 3; i++) {
    if (v[i]! !== min[i]!) return v[i]! > min[i]!;
  }
  return true;
}

/** Builds the profile of a PVE major version, optionally pinned to an exact pve-manager version. */
export function makeProfile(major: 7 | 8 | 9, managerVersion?: string): PveProfile {
  const base = BASE[major];
  const version = managerVersion ?? base.version;
  const t = versionTuple(version);
  const repoid = managerVersion && t[0] < 8 ? base.repoid.slice(0, 8) : base.repoid;
  return {
    major,
    version,
    release: `${t[0]}.${t[1]}`,
    repoid: t[0] >= 8 && repoid.length === 8 ? `${repoid}${repoid}` : repoid,
    kversion: base.kversion,
    kernelRelease: base.kernelRelease,
    errorMessage: atLeast(t, [8, 3, 0]),
    lxcVmidString: !atLeast(t, [8, 2, 0]),
    memAvailable: atLeast(t, [8, 4, 0]),
    metricsExport: atLeast(t, [8, 2, 5]),
    pve9Fields: t[0] >= 9,
    newNodeStatus: t[0] >= 8,
  };
}
