// The RPO a backup job implies: the largest gap between two runs of its Proxmox calendar event
// (pve-common PVE/CalendarEvent, systemd.time-like: "[WEEKDAY] [[Y-]M-D] [H:M[:S]]" with lists
// "a,b", ranges "a..b" and repetitions "a/step"), plus a grace period for the run itself.
// Evaluated minute by minute over 62 days (UTC): exact for everything up to monthly schedules.

const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
const SPECIAL: Record<string, string> = {
  minutely: '*:*',
  hourly: '*:00',
  daily: '00:00',
  weekly: 'mon 00:00',
  monthly: '*-*-01 00:00',
  yearly: '*-01-01 00:00',
  annually: '*-01-01 00:00',
};

/** Grace on top of the schedule's largest gap (a nightly job then gets 26 h, Checkmk's warning default). */
export const RPO_GRACE_S = 2 * 3600;

type Matcher = (v: number) => boolean;

function numberSpec(spec: string, min: number, max: number): Matcher | undefined {
  if (spec === '*') return () => true;
  const parts: Matcher[] = [];
  for (const item of spec.split(',')) {
    let m = /^(\*|\d+)\/(\d+)$/.exec(item);
    if (m) {
      const start = m[1] === '*' ? min : Number(m[1]);
      const step = Number(m[2]);
      if (step <= 0) return undefined;
      parts.push((v) => v >= start && (v - start) % step === 0);
      continue;
    }
    m = /^(\d+)\.\.(\d+)$/.exec(item);
    if (m) {
      const a = Number(m[1]);
      const b = Number(m[2]);
      parts.push((v) => v >= a && v <= b);
      continue;
    }
    if (!/^\d+$/.test(item)) return undefined;
    const n = Number(item);
    if (n < min || n > max) return undefined;
    parts.push((v) => v === n);
  }
  return (v) => parts.some((p) => p(v));
}

function daySpec(spec: string): Matcher | undefined {
  const set = new Set<number>();
  for (const item of spec.toLowerCase().split(',')) {
    const r = /^([a-z]{3})(?:\.\.([a-z]{3}))?$/.exec(item);
    if (!r) return undefined;
    const a = DAYS.indexOf(r[1]!);
    const b = r[2] ? DAYS.indexOf(r[2]) : a;
    if (a < 0 || b < 0) return undefined;
    for (let d = a; ; d = (d + 1) % 7) {
      set.add(d);
      if (d === b) break;
    }
  }
  return (v) => set.has(v);
}

/** A matcher for a calendar event over a UTC Date, or undefined when it cannot be read. */
export function parseCalendarEvent(event: string): ((d: Date) => boolean) | undefined {
  let text = event.trim().toLowerCase();
  text = SPECIAL[text] ?? text;
  const tokens = text.split(/\s+/).filter(Boolean);
  let dow: Matcher = () => true;
  let month: Matcher = () => true;
  let dom: Matcher = () => true;
  let hour: Matcher | undefined = (v) => v === 0;
  let minute: Matcher | undefined = (v) => v === 0;
  let i = 0;
  if (tokens[i] && /^[a-z]/.test(tokens[i]!)) {
    const m = daySpec(tokens[i]!);
    if (!m) return undefined;
    dow = m;
    i++;
  }
  if (tokens[i]?.includes('-')) {
    const parts = tokens[i]!.split('-');
    const [, mo, d] = parts.length === 3 ? parts : ['*', ...parts];
    const mm = numberSpec(mo ?? '*', 1, 12);
    const dd = numberSpec(d ?? '*', 1, 31);
    if (!mm || !dd) return undefined;
    month = mm;
    dom = dd;
    i++;
  }
  if (tokens[i]) {
    const t = tokens[i]!.split(':');
    if (t.length < 1 || t.length > 3) return undefined;
    if (t.length === 1) {
      // "5/15" alone means minutes in PVE's parser only with a colon; a bare number is an hour
      hour = numberSpec(t[0]!, 0, 23);
      minute = (v) => v === 0;
    } else {
      hour = numberSpec(t[0]!, 0, 23);
      minute = numberSpec(t[1]!, 0, 59);
    }
    i++;
  }
  if (i !== tokens.length || !hour || !minute) return undefined;
  const h = hour;
  const mi = minute;
  return (d) => dow(d.getUTCDay()) && month(d.getUTCMonth() + 1) && dom(d.getUTCDate()) && h(d.getUTCHours()) && mi(d.getUTCMinutes());
}

/** Largest gap in seconds between consecutive runs of the event, or undefined (unparsable or never runs). */
export function scheduleMaxGapSeconds(event: string): number | undefined {
  const match = parseCalendarEvent(event);
  if (!match) return undefined;
  // a Monday, far from DST questions (UTC anyway)
  const start = Date.UTC(2024, 0, 1);
  const minutes = 62 * 24 * 60;
  let first: number | undefined;
  let prev: number | undefined;
  let gap = 0;
  for (let m = 0; m < minutes; m++) {
    const t = start + m * 60_000;
    if (!match(new Date(t))) continue;
    if (prev !== undefined) gap = Math.max(gap, t - prev);
    first ??= t;
    prev = t;
  }
  if (first === undefined || prev === undefined) return undefined;
  // only one run in 62 days (yearly): the window tells nothing better than a year
  if (first === prev) return 366 * 86_400;
  return gap / 1000;
}

const memo = new Map<string, number | undefined>();

/** The RPO in seconds of a job with this schedule: largest gap + grace; undefined when unknown. */
export function rpoFromSchedule(event: string | null | undefined): number | undefined {
  if (!event) return undefined;
  // ~90,000 minute checks per schedule: remember the few schedules a fleet has
  if (!memo.has(event)) {
    const gap = scheduleMaxGapSeconds(event);
    if (memo.size > 1000) memo.clear();
    memo.set(event, gap === undefined ? undefined : gap + RPO_GRACE_S);
  }
  return memo.get(event);
}
