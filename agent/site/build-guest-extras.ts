// Pure (issue 14 item 5): the snapshots and the last backup on a guest's page — what rollback
// and delete-snapshot need (the names), and when the backup last worked or failed.
import { fmtBytes, fmtDuration, fmtTime } from './format.ts';
import type { GuestSnapshotsSite } from '../store/guest-snapshots.repository.ts';
import type { BackupGuestRow } from '../store/health-site.query.ts';

/**
 * A guest's snapshots, oldest first (`current`: the one the guest runs on top of, "you are here"),
 * and its list's `status`: "read 2026-12-07 03:10 UTC", or why there is no list.
 */
export function buildGuestSnapshots(s: GuestSnapshotsSite | undefined, type: 'qemu' | 'lxc') {
  if (!s) return { rows: [], status: 'not read yet: each guest\'s list is read about once a day and right after a snapshot, rollback or delete-snapshot task', error: null };
  return {
    rows: [...s.entries]
      .sort((a, b) => (a.snaptime ?? 0) - (b.snaptime ?? 0) || a.name.localeCompare(b.name))
      .map((e) => ({
        name: e.name,
        time: fmtTime(e.snaptime),
        description: (e.description ?? '').trim(),
        parent: e.parent ?? '',
        ram: type === 'qemu' ? (e.vmstate ? 'yes' : 'no') : '–',
        current: e.name === s.currentParent,
      })),
    status: `read ${fmtTime(s.fetchedAt)}`,
    error: s.error,
  };
}

/** A guest's last backups as facts, with its `status` (ok | overdue | never | no_job: v_backup_guest's) for styling. */
export function buildLastBackup(b: BackupGuestRow | undefined) {
  if (!b) return null;
  const facts = [
    { label: 'Last successful backup', text: b.last_ok_end === null ? 'none known' : `${fmtTime(b.last_ok_end)} (${fmtDuration(b.age_s)} ago)` },
  ];
  if (b.last_ok_end !== null) {
    facts.push(
      { label: 'Duration, size', text: `${fmtDuration(b.last_ok_duration_s)}, ${fmtBytes(b.last_ok_size_bytes)}` },
      { label: 'Storage', text: b.last_ok_storage ?? '–' },
    );
  }
  if (b.last_fail_end !== null) facts.push({ label: 'Last failed backup', text: `${fmtTime(b.last_fail_end)}${b.last_fail_error ? `: ${b.last_fail_error}` : ''}` });
  facts.push({ label: 'Backup jobs', text: b.jobs ?? (b.in_job === 0 ? 'in no backup job' : '–') });
  if (b.rpo_s !== null) facts.push({ label: 'Expected every', text: fmtDuration(b.rpo_s) });
  return { facts, status: b.status, failedLast: b.last_fail_end !== null && (b.last_ok_end === null || b.last_fail_end > b.last_ok_end) };
}
