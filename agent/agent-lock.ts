import { acquireStartLock, type StartLock } from './store/start-lock.ts';

export type AgentLock = StartLock;

/**
 * Takes the start lock beside the database, so two agents never run on one database: two inboxes
 * would execute the same queued action and two publishers would race for the same release.
 * The lock is the kernel's (released when the process dies, however it dies); see
 * agent/store/start-lock.ts. Throws AGENT_RUNNING naming the other pid when it can.
 */
export function acquireAgentLock(file: string): AgentLock {
  return acquireStartLock(file);
}
