// The set-up several end-to-end tests share: the real agent (no inbox) on a written config, a few
// cycles 5 s apart on the test's clock, then the database opened read-only for the assertions.
import Database from 'better-sqlite3';
import { openAgent, type AgentParts } from '../../agent/main.ts';
import { logSink, type AgentDirs } from './agent-fixture.ts';

export interface CycledAgent {
  agent: AgentParts;
  db: Database.Database;
}

/** Runs `cycles` cycles, moving the test's clock (`advance`) 5 s after each. */
export async function runAgentCycles(dirs: AgentDirs, o: { cycles: number; now: () => number; advance: (ms: number) => void }): Promise<CycledAgent> {
  const agent = await openAgent(dirs.configPath, { intervalSeconds: 5, logDestination: logSink().stream, now: o.now }, false);
  for (let i = 0; i < o.cycles; i++) {
    await agent.runCycle();
    o.advance(5000);
  }
  return { agent, db: new Database(dirs.database, { readonly: true }) };
}
