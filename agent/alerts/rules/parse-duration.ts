/** Seconds in "90s", "5m", "2h", "7d", "1h30m" or "0"; undefined when the text is not a duration. */
export function parseDuration(text: string): number | undefined {
  const t = text.trim();
  if (t === '0') return 0;
  if (!/^(\d+[smhd])+$/.test(t)) return undefined;
  const unit: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };
  let total = 0;
  for (const [, n, u] of t.matchAll(/(\d+)([smhd])/g)) total += Number(n) * unit[u!]!;
  return total;
}

/** The shortest readable form: 3h, 1h30m, 45s, 2d4h. */
export function formatDuration(seconds: number): string {
  let s = Math.max(0, Math.round(seconds));
  if (s === 0) return '0s';
  const parts: string[] = [];
  for (const [u, n] of [['d', 86_400], ['h', 3600], ['m', 60], ['s', 1]] as const) {
    if (s >= n) {
      parts.push(`${Math.floor(s / n)}${u}`);
      s %= n;
    }
  }
  return parts.slice(0, 2).join('');
}
