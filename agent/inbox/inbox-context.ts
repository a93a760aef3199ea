// What every inbox stage gets: dependencies in one object, plus test hooks.
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { ActionsConfig } from '../config/config.schema.ts';
import type { PveClient } from '../pve/pve-client.types.ts';
import type { z } from 'zod';

export type ActionsSettings = z.infer<typeof ActionsConfig>;
import type { InboxDatabase } from './action.repository.ts';
import type { Maildir } from './maildir.ts';
import type { UserLookup } from './submitter.ts';
import type { TimingsMs } from './result-file.ts';

/**
 * Points where a test may stop the process (crash tests SIGKILL the agent there). Every hook is
 * awaited; production passes none.
 */
export interface InboxHooks {
  /** The row says 'posting' (attempt counted) but nothing was sent yet. */
  beforePost?(id: string): void | Promise<void>;
  afterPost?(id: string, upid: string | null): void | Promise<void>;
  duringFollow?(id: string, upid: string): void | Promise<void>;
  beforeResult?(id: string): void | Promise<void>;
  /** Called right after a POST/DELETE was sent (benchmarks measure drop → POST with it). */
  onPost?(id: string, atMs: number): void;
  /** Called when a result file was written. */
  onResult?(id: string, outcome: string, file: string, atMs: number): void;
}

/**
 * leases (#17): the inbox of one agent among several on a database. Requests are taken in by
 * whichever agent's inbox they were dropped in (received_by: it writes the result file), and run
 * by the agent holding the guest's cluster (claim).
 */
export interface InboxFleet {
  agentId: string;
  /** Claims the row for this agent if it holds the cluster's lease now (agent/store/action-claim.repository.ts). */
  claim(id: string): Promise<boolean>;
  /** This agent holds the cluster's lease now: only then are its unfinished rows worth scheduling. */
  holds(cluster: string): boolean;
}

export interface InboxContext {
  md: Maildir;
  db: Kysely<InboxDatabase>;
  clients: Map<string, PveClient>;
  log: Logger;
  audit: Logger;
  /** Epoch milliseconds. */
  now: () => number;
  /** Resolves after ms, or early when the inbox stops. */
  sleep: (ms: number) => Promise<void>;
  random: () => number;
  config: ActionsSettings;
  lookupUser: UserLookup;
  /** The agent's own uid (its files are its own, whatever the submit group). */
  agentUid: number;
  hooks: InboxHooks;
  stopping: () => boolean;
  /** Precise times of requests being worked on (result files show them; the row keeps seconds). */
  timings: Map<string, TimingsMs>;
  taskPollIntervalMs: number;
  /** leases (#17): set when agent.shared; absent, the inbox behaves as the only one. */
  fleet?: InboxFleet;
}
