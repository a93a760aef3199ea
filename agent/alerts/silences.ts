// Silences, pure: the active ones at a time (from the database and the config's standing windows)
// and which one, if any, covers an alert.
import type { LabelMatcher, StandingSilence } from './alerts-config.schema.ts';
import { matchesAll } from './label-matchers.ts';

export interface ActiveSilence {
  id: string;
  matchers: LabelMatcher[];
  endsAt: number;
  reason: string;
  createdBy: string;
}

const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;

/** When a standing window is open at `now` (epoch s): its end, else undefined. Windows may cross midnight. */
export function standingWindowEnd(s: StandingSilence, now: number): number | undefined {
  const local = now + s.utcOffsetMinutes * 60;
  const dayStart = Math.floor(local / 86_400) * 86_400;
  const [sh, sm] = s.start.split(':').map(Number) as [number, number];
  const [eh, em] = s.end.split(':').map(Number) as [number, number];
  const startMin = sh * 60 + sm;
  const endMin = eh * 60 + em;
  const len = ((endMin - startMin + 1440) % 1440 || 1440) * 60;
  // the window that began today or yesterday (for one crossing midnight)
  for (const back of [0, 1]) {
    const begin = dayStart - back * 86_400 + startMin * 60;
    const weekday = DAYS[new Date(begin * 1000).getUTCDay()]!;
    if (s.days.includes(weekday) && local >= begin && local < begin + len) return begin + len - s.utcOffsetMinutes * 60;
  }
  return undefined;
}

/** The standing silences open at `now`, as active silences (id `config:<name>`). */
export function activeStanding(standing: readonly StandingSilence[], now: number): ActiveSilence[] {
  const out: ActiveSilence[] = [];
  for (const s of standing) {
    const end = standingWindowEnd(s, now);
    if (end !== undefined) out.push({ id: `config:${s.name}`, matchers: s.matchers, endsAt: end, reason: s.reason, createdBy: 'config' });
  }
  return out;
}

/** The first silence covering an alert with these labels. */
export function silencedBy(labels: Readonly<Record<string, string>>, silences: readonly ActiveSilence[]): ActiveSilence | undefined {
  return silences.find((s) => matchesAll(labels, s.matchers));
}
