// Is the agent alive and doing its job? Pure. "Alive" = some cluster answered a poll within the
// last `staleAfterIntervals` poll intervals (3 by default, as the container health check asks):
// a stuck scheduler, a dead event loop or every cluster unreachable all end up here. One cluster
// failing while others answer is not an agent failure (the pages and status.json show it).
export interface Liveness {
  healthy: boolean;
  message: string;
}

export function judgeLiveness(o: { lastGoodSec: number | undefined; nowSec: number; intervalSec: number; staleAfterIntervals?: number }): Liveness {
  const limit = o.intervalSec * (o.staleAfterIntervals ?? 3);
  if (o.lastGoodSec === undefined) return { healthy: false, message: `unhealthy: no cluster has answered a poll yet (limit ${limit} s)` };
  const age = Math.max(0, Math.round(o.nowSec - o.lastGoodSec));
  return age <= limit
    ? { healthy: true, message: `healthy: last successful poll ${age} s ago (limit ${limit} s)` }
    : { healthy: false, message: `unhealthy: last successful poll ${age} s ago, more than ${limit} s (${o.staleAfterIntervals ?? 3} poll intervals)` };
}
