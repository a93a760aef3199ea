// Timing of the profile scripts (pg-read-profile, pg-series-profile): one warm-up call, then the
// median wall time and client CPU of `runs` calls, and what the last call returned (rows, points).

export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

export async function wallCpuMedian(fn: () => Promise<number>, runs: number): Promise<{ wallMs: number; cpuMs: number; n: number }> {
  await fn();
  const wall: number[] = [];
  const cpu: number[] = [];
  let n = 0;
  for (let k = 0; k < runs; k++) {
    const c0 = process.cpuUsage();
    const s = performance.now();
    n = await fn();
    wall.push(performance.now() - s);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
  }
  return { wallMs: median(wall), cpuMs: median(cpu), n };
}
