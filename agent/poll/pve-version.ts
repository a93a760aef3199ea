// Proxmox VE version strings (pve-api.md §3.1, Appendix B): "7.4-16" before 8.0, "8.2.4" since. Pure.

/** [major, minor, patch]; undefined when the string is not a version. */
export function parsePveVersion(v: string | null | undefined): [number, number, number] | undefined {
  const m = /^(\d+)\.(\d+)(?:[.-](\d+))?/.exec(v ?? '');
  if (!m) return undefined;
  return [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)];
}

/** a ≥ b for version triples. */
export function versionAtLeast(v: string | null | undefined, min: [number, number, number]): boolean {
  const p = parsePveVersion(v);
  if (!p) return false;
  for (let i = 0; i < 3; i++) if (p[i] !== min[i]) return p[i]! > min[i]!;
  return true;
}

/** /cluster/metrics/export exists since pve-manager 8.2.5 (§3.4). */
export function hasMetricsExport(version: string | null | undefined): boolean {
  return versionAtLeast(version, [8, 2, 5]);
}
