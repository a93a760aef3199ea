// Runs jobs one at a time per guest and up to `concurrency` guests at once.

export interface Executor {
  /** Queues a job for a guest key ("cluster/vmid"); jobs of one key run in submission order. */
  submit(key: string, id: string, job: () => Promise<void>): void;
  /** True while a job for this id is queued or running. */
  has(id: string): boolean;
  /** Resolves when nothing is queued or running. */
  idle(): Promise<void>;
  /** Running + queued jobs. */
  size(): number;
}

/**
 * A per-key FIFO with a global bound. A job that waits for its turn holds no slot; errors of a job
 * are reported through onError and never stop the queue.
 */
export function createExecutor(opts: { concurrency: number; onError: (id: string, err: unknown) => void }): Executor {
  const queues = new Map<string, Array<{ id: string; job: () => Promise<void> }>>();
  const busyKeys = new Set<string>();
  const ids = new Set<string>();
  let running = 0;
  let idleWaiters: Array<() => void> = [];

  function pump(): void {
    for (const [key, q] of queues) {
      if (running >= opts.concurrency) return;
      if (busyKeys.has(key) || q.length === 0) continue;
      const next = q.shift()!;
      if (q.length === 0) queues.delete(key);
      busyKeys.add(key);
      running++;
      void next
        .job()
        .catch((err: unknown) => opts.onError(next.id, err))
        .finally(() => {
          running--;
          busyKeys.delete(key);
          ids.delete(next.id);
          pump();
          if (ids.size === 0) {
            const w = idleWaiters;
            idleWaiters = [];
            w.forEach((f) => f());
          }
        });
    }
  }

  return {
    submit(key, id, job) {
      if (ids.has(id)) return;
      ids.add(id);
      const q = queues.get(key) ?? [];
      q.push({ id, job });
      queues.set(key, q);
      pump();
    },
    has: (id) => ids.has(id),
    size: () => ids.size,
    idle: () => (ids.size === 0 ? Promise.resolve() : new Promise((r) => idleWaiters.push(r))),
  };
}
