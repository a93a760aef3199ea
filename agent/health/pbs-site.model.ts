// Proxmox Backup Server on the site (#15, optional PBS): the Backups page's PBS section, the agent
// page's PBS coverage (each datastore the token cannot audit, with the exact grant line) and the
// `pbs` member of status.json's health part. Pure.
import { fmtBytes, fmtDuration, fmtTime } from '../site/format.ts';

export interface PbsGroupSiteRow { server: string; store: string; backup_type: string; backup_id: string; last_backup: number | null; backup_count: number | null; last_size_bytes: number | null; verify_state: string | null; owner: string | null; age_s: number | null }
export interface PbsCoverageSiteRow { server: string; store: string; state: string; message: string | null; token_id: string | null; last_ok: number | null; grant_command: string | null }
export interface PbsSiteRows { groups: PbsGroupSiteRow[]; coverage: PbsCoverageSiteRow[] }

/** A group with no backup for longer than this is flagged (a daily job missed a day and more). */
export const PBS_STALE_S = 26 * 3600;

type Level = 'ok' | 'warn' | 'bad';

export interface PbsViewVM {
  groups: Array<{ server: string; store: string; group: string; last: string; age: string; ageLevel: Level; ageV: number; count: number | string; size: string; verify: string; verifyLevel: Level | '' }>;
  forbidden: Array<{ server: string; store: string; grant: string; message: string }>;
  empty: boolean;
}

/** Worst first: failed verification, then the oldest last backup. */
export function buildPbsView(p: PbsSiteRows | undefined): PbsViewVM {
  const rows = [...(p?.groups ?? [])].sort((a, b) => Number(b.verify_state === 'failed') - Number(a.verify_state === 'failed') || (b.age_s ?? Infinity) - (a.age_s ?? Infinity));
  return {
    groups: rows.map((g) => ({
      server: g.server, store: g.store, group: `${g.backup_type}/${g.backup_id}`,
      last: g.last_backup ? fmtTime(g.last_backup) : 'never', age: g.age_s === null ? '–' : fmtDuration(Math.max(0, g.age_s)),
      ageLevel: g.age_s === null || g.age_s > PBS_STALE_S ? 'bad' : 'ok', ageV: g.age_s ?? -1,
      count: g.backup_count ?? '–', size: g.last_size_bytes === null ? '–' : fmtBytes(g.last_size_bytes),
      verify: g.verify_state ?? 'not verified', verifyLevel: g.verify_state === 'failed' ? 'bad' : g.verify_state === 'ok' ? 'ok' : 'warn',
    })),
    forbidden: (p?.coverage ?? []).filter((c) => c.state !== 'ok').map((c) => ({ server: c.server, store: c.store, grant: c.grant_command ?? '', message: c.message ?? c.state })),
    empty: !p || (!p.groups.length && !p.coverage.length),
  };
}

/** status.json's `health.pbs`. */
export function buildPbsStatus(p: PbsSiteRows | undefined): Record<string, unknown> {
  return {
    groups: (p?.groups ?? []).map((g) => ({ server: g.server, store: g.store, type: g.backup_type, id: g.backup_id, last_backup: g.last_backup, age_s: g.age_s, count: g.backup_count, size_bytes: g.last_size_bytes, verify_state: g.verify_state })),
    coverage: (p?.coverage ?? []).map((c) => ({ server: c.server, store: c.store, state: c.state, grant: c.grant_command, last_ok: c.last_ok })),
  };
}
