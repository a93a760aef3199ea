// Per-guest results from a finished vzdump task's log (pve-manager PVE/VZDump.pm wording). A job
// task covers several guests; its log is final once the task ended, so it is read once.
import type { BackupRunRow, BackupTaskRow } from './health-rows.ts';

/** A vzdump task as stored: `vmid` is the guest of a single-guest task, null for a job task; `status` OK, "WARNINGS: n" or the error. */
export type VzdumpTask = BackupTaskRow;

const UNITS: Record<string, number> = { b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5 };

/** "1.23GB", "512 MiB", "4.50 GiB", "123456" → bytes (vzdump's sizes are binary). */
export function parseSize(text: string): number | null {
  const m = /^([\d.]+)\s*([kmgtp]?)i?b?$/i.exec(text.trim());
  if (!m) return null;
  const v = Number(m[1]);
  if (!Number.isFinite(v)) return null;
  return Math.round(v * (UNITS[(m[2] || 'b').toLowerCase()] ?? 1));
}

function hmsSeconds(s: string): number | null {
  const m = /^(\d+):(\d\d):(\d\d)$/.exec(s);
  return m ? Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]) : null;
}

/** "2026-12-06 21:00:01" read as if UTC (the node's local time; corrected by the caller's offset). */
function localStamp(s: string): number | null {
  const m = /^(\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)$/.exec(s.trim());
  return m ? Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])) / 1000 : null;
}

interface Current {
  vmid: number;
  start: number | null;
  end: number | null;
  duration: number | null;
  archive: string | null;
  size: number | null;
  outcome: 'ok' | 'failed' | null;
  error: string | null;
}

/**
 * Parses a vzdump log into one row per guest. Times in the log are the node's local time: the
 * first "Backup started at" is aligned with the task's start (from its UPID) to the nearest
 * quarter hour, which gives the node's UTC offset. A guest that started but has no verdict, or
 * the single guest of a failed task without one, counts as failed with the task's status.
 */
export function parseVzdumpLog(task: VzdumpTask, lines: string[]): BackupRunRow[] {
  const runs: Current[] = [];
  let storage: string | null = null;
  let cur: Current | undefined;
  const stamps: Array<[Current, 'start' | 'end', number]> = [];
  for (const raw of lines) {
    const line = raw.trimEnd();
    let m = /^INFO: starting new backup job: vzdump .*--storage (\S+)/.exec(line);
    if (m) {
      storage = m[1]!;
      continue;
    }
    m = /^INFO: Starting Backup of VM (\d+) /.exec(line);
    if (m) {
      cur = { vmid: Number(m[1]), start: null, end: null, duration: null, archive: null, size: null, outcome: null, error: null };
      runs.push(cur);
      continue;
    }
    m = /^(?:INFO|ERROR): Backup of VM (\d+) failed - (.*)$/.exec(line) ?? /^ERROR: Backup of VM (\d+) failed - (.*)$/.exec(line);
    if (m) {
      const vmid = Number(m[1]);
      let r = runs.find((x) => x.vmid === vmid && x.outcome === null);
      if (!r) {
        r = { vmid, start: null, end: null, duration: null, archive: null, size: null, outcome: null, error: null };
        runs.push(r);
      }
      r.outcome = 'failed';
      r.error = m[2]!.slice(0, 500);
      continue;
    }
    if (!cur) continue;
    if ((m = /^INFO: Backup started at (.+)$/.exec(line))) {
      const t = localStamp(m[1]!);
      if (t !== null) stamps.push([cur, 'start', t]);
    } else if ((m = /^INFO: Backup finished at (.+)$/.exec(line))) {
      const t = localStamp(m[1]!);
      if (t !== null) stamps.push([cur, 'end', t]);
    } else if ((m = /^INFO: creating (?:vzdump|Proxmox Backup Server) archive '([^']+)'/.exec(line))) {
      cur.archive = m[1]!;
    } else if ((m = /^INFO: archive file size: (.+)$/.exec(line))) {
      cur.size = parseSize(m[1]!);
    } else if ((m = /^INFO: transferred ([\d.]+ ?[KMGTP]?i?B) in /.exec(line))) {
      cur.size ??= parseSize(m[1]!);
    } else if ((m = /^INFO: Finished Backup of VM (\d+) \(([\d:]+)\)/.exec(line))) {
      if (Number(m[1]) === cur.vmid) {
        cur.outcome = 'ok';
        cur.duration = hmsSeconds(m[2]!);
      }
    }
  }
  const firstStart = stamps.find(([, k]) => k === 'start');
  const offset = firstStart ? Math.round((firstStart[2] - task.starttime) / 900) * 900 : 0;
  for (const [r, kind, t] of stamps) {
    if (kind === 'start') r.start = t - offset;
    else r.end = t - offset;
  }
  if (task.vmid !== null && !runs.some((r) => r.vmid === task.vmid)) {
    runs.push({ vmid: task.vmid, start: null, end: null, duration: null, archive: null, size: null, outcome: null, error: null });
  }
  const taskOk = task.status === 'OK' || (task.status?.startsWith('WARNINGS') ?? false);
  return runs.map((r) => {
    const ok = r.outcome === 'ok' || (r.outcome === null && taskOk && task.vmid === r.vmid);
    const start = r.start ?? task.starttime;
    const end = r.end ?? (r.duration !== null ? start + r.duration : task.endtime);
    return {
      upid: task.upid,
      vmid: r.vmid,
      node: task.node,
      starttime: start,
      endtime: end,
      durationS: r.duration ?? (end !== null ? end - start : null),
      ok,
      error: ok ? null : (r.error ?? task.status ?? 'no result in the task log'),
      sizeBytes: r.size,
      storage,
      archive: r.archive,
    };
  });
}
