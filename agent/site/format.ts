// Display formatting for the pages (pure). Rounds to what a person reads, which also keeps
// pages from changing when only an invisible digit moved.

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

/** 1536 → "1.5 KiB"; null → "–". */
export function fmtBytes(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '–';
  let v = n;
  let i = 0;
  while (Math.abs(v) >= 1024 && i < UNITS.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 ? Math.round(v) : v.toFixed(v < 10 ? 1 : 0)} ${UNITS[i]}`;
}

/** Bytes per second. */
export function fmtRate(n: number | null | undefined): string {
  return n === null || n === undefined ? '–' : `${fmtBytes(n)}/s`;
}

/** Fraction 0..1 → "12.3 %". */
export function fmtPct(f: number | null | undefined): string {
  if (f === null || f === undefined || !Number.isFinite(f)) return '–';
  const p = f * 100;
  return `${p < 10 ? p.toFixed(1) : Math.round(p)} %`;
}

/** Seconds → "3d 4h", "2h 5m", "42s". */
export function fmtDuration(s: number | null | undefined): string {
  if (s === null || s === undefined || !Number.isFinite(s) || s < 0) return '–';
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (d > 0) return `${d}d ${h}h`;
  if (h > 0) return `${h}h ${m}m`;
  if (m > 0) return `${m}m ${Math.floor(s % 60)}s`;
  return `${Math.floor(s)}s`;
}

/** Epoch seconds → "2026-11-27 03:14 UTC". */
export function fmtTime(ts: number | null | undefined): string {
  if (ts === null || ts === undefined) return '–';
  // Pages print the same few minutes thousands of times per build: format each minute once.
  const minute = Math.floor(ts / 60);
  let s = minuteText.get(minute);
  if (s === undefined) {
    if (minuteText.size >= 4096) minuteText.clear();
    s = `${new Date(minute * 60_000).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
    minuteText.set(minute, s);
  }
  return s;
}
const minuteText = new Map<number, string>();

/** Epoch seconds → ISO string for <time datetime>. */
export function isoTime(ts: number | null | undefined): string {
  return ts === null || ts === undefined ? '' : new Date(ts * 1000).toISOString();
}

/** `s` cut to at most `max` characters, "…" marking the cut. */
export function clip(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}
