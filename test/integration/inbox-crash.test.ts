// kill -9 at the dangerous moments of an action, restart, and prove from the simulator's own task
// list and request counts that nothing ran twice and every request got exactly one outcome.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../agent/store/open-database.ts';
import { startSimulator, type SimHandle } from '../../scripts/pve-sim/index.ts';
import type { SimGuest } from '../../scripts/pve-sim/types.ts';
import { accessOf, drop, request, results, seedInventory, tempDir, waitFor } from './inbox-harness.ts';

const RUNNER = join(import.meta.dirname, 'inbox-crash-runner.ts');

let sim: SimHandle;
let root: string;
let inboxDir: string;
let dbFile: string;
let cluster: string;

interface Runner {
  child: ChildProcess;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  ready: Promise<void>;
  output: () => string;
}

function startRunner(crash?: { at: string; id: string }): Runner {
  // node --import tsx: one process, so SIGKILL hits the inbox itself (no wrapper in between).
  const child = spawn(process.execPath, ['--import', 'tsx', RUNNER], {
    env: {
      ...process.env,
      PMI_CRASH_ACCESS: JSON.stringify(accessOf(sim)),
      PMI_CRASH_INBOX: inboxDir,
      PMI_CRASH_DB: dbFile,
      PMI_CRASH_AT: crash?.at ?? '',
      PMI_CRASH_ID: crash?.id ?? '',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const ready = waitFor(() => out.includes('ready\n') || undefined, 90_000, 'runner ready').then(() => undefined);
  return { child, exited, ready, output: () => out };
}

async function stopRunner(r: Runner): Promise<void> {
  r.child.kill('SIGTERM');
  await r.exited;
}

beforeAll(async () => {
  sim = await startSimulator({ seed: 11, guests: 40, taskTimeScale: 0.05 });
  cluster = sim.clusters[0]!.name;
  root = await tempDir('pmi-inbox-crash-');
  inboxDir = join(root, 'inbox');
  dbFile = join(root, 'pmi.sqlite');
  const store = await openDatabase(dbFile);
  await seedInventory(store.db, sim);
  await store.close();
});

afterAll(async () => {
  await sim?.stop();
});

const taken = new Set<number>();
function pick(pred: (g: SimGuest) => boolean): SimGuest {
  const g = [...sim.world.clusters[0]!.guests.values()].find((x) => x.template === 0 && !x.lock && !x.hastate && !x.ignoresAcpi && pred(x) && !taken.has(x.vmid));
  if (!g) throw new Error('no suitable guest');
  taken.add(g.vmid);
  return g;
}

const tasksOf = (vmid: number, type: string) => sim.world.clusters[0]!.tasks.filter((t) => t.id === String(vmid) && t.type === type);

describe('crash safety (kill -9 and restart)', () => {
  it.each([
    ['beforePost', 'stop', 'qmstop', 'running', 'stopped'],
    ['afterPost', 'start', 'qmstart', 'stopped', 'running'],
    ['duringFollow', 'stop', 'qmstop', 'running', 'stopped'],
    ['beforeResult', 'start', 'qmstart', 'stopped', 'running'],
  ] as const)('killed at %s: %s runs exactly once and ends in done/', async (at, action, taskType, from, to) => {
    const g = pick((x) => x.type === 'qemu' && x.status === from && (from === 'stopped' || x.qmpstatus === 'running'));
    const id = `crash-${at}-${g.vmid}`;
    const postsBefore = sim.stats().byRoute[`POST /nodes/{node}/qemu/{vmid}/status/${action}`] ?? 0;
    const first = startRunner({ at, id });
    await first.ready;
    await drop(inboxDir, request(id, cluster, g.vmid, action));
    const end = await first.exited;
    expect(end.signal, first.output()).toBe('SIGKILL');
    expect(first.output()).toContain(`crash ${at} ${id}`);
    expect((await results(inboxDir)).filter((r) => r.id === id)).toHaveLength(0);

    const second = startRunner();
    await second.ready;
    const r = await waitFor(async () => (await results(inboxDir)).find((x) => x.id === id), 90_000, `result of ${id}`);
    await stopRunner(second);

    expect(r.outcome, r.reason ?? '').toBe('done');
    expect((await results(inboxDir)).filter((x) => x.id === id)).toHaveLength(1);
    expect(g.status).toBe(to);
    // The simulator's own records: one task, one POST — nothing ran twice.
    expect(tasksOf(g.vmid, taskType)).toHaveLength(1);
    expect((sim.stats().byRoute[`POST /nodes/{node}/qemu/{vmid}/status/${action}`] ?? 0) - postsBefore).toBe(1);
    expect(r.upid).toBe(tasksOf(g.vmid, taskType)[0]!.upid);
    // Killed between 'posting' and the POST: the restart checked, found nothing, and sent it (attempt 2).
    expect(r.attempts).toBe(at === 'beforePost' ? 2 : 1);
  }, 240_000);

  it('kill -9 at random moments while several requests flow: each ends once, none ran twice', async () => {
    const guests = [0, 1, 2, 3, 4, 5].map(() => pick((x) => x.type === 'qemu' && x.status === 'running' && x.qmpstatus === 'running'));
    const ids = guests.map((g) => `storm-${g.vmid}`);
    let runner = startRunner();
    await runner.ready;
    for (const [i, g] of guests.entries()) await drop(inboxDir, request(ids[i]!, cluster, g.vmid, 'stop'));
    for (let k = 0; k < 4; k++) {
      await new Promise((res) => setTimeout(res, 60 + k * 45));
      runner.child.kill('SIGKILL');
      await runner.exited;
      runner = startRunner();
      await runner.ready;
    }
    await waitFor(async () => {
      const rs = await results(inboxDir);
      return ids.every((id) => rs.some((r) => r.id === id)) || undefined;
    }, 60_000, 'every storm request to end');
    await stopRunner(runner);
    const rs = await results(inboxDir);
    for (const [i, g] of guests.entries()) {
      const mine = rs.filter((r) => r.id === ids[i]);
      expect(mine, ids[i]).toHaveLength(1);
      expect(mine[0]!.outcome, mine[0]!.reason ?? '').toBe('done');
      expect(tasksOf(g.vmid, 'qmstop').length, `qmstop tasks of ${g.vmid}`).toBeLessThanOrEqual(1);
      expect(g.status).toBe('stopped');
    }
  }, 300_000);
});
