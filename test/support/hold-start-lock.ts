// Child process for the start-lock tests: takes the agent's start lock on argv[2], says "locked",
// then holds it until killed.
import { acquireAgentLock } from '../../agent/agent-lock.ts';

acquireAgentLock(process.argv[2]!);
process.stdout.write('locked\n');
setInterval(() => {}, 60_000);
