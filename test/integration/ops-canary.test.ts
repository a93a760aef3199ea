// The token secret must never land anywhere: run the real agent with a canary secret through
// every kind of trouble — 401, 500, a changed certificate (bad TLS), a failed and a rejected
// action — at trace log level with rotated log and audit files, then search every byte it wrote
// (logs, site, database and its -wal, inbox results) for the canary.
import { randomUUID } from 'node:crypto';
import { readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAgent } from '../../agent/main.ts';
import { startSimulator, type SimHandle } from '../../scripts/pve-sim/index.ts';
import { logSink, writeAgentConfig, type AgentDirs } from '../support/agent-fixture.ts';

const CANARY = `CANARY-${randomUUID()}`;

let sim: SimHandle;
let dirs: AgentDirs;

beforeAll(async () => {
  sim = await startSimulator({ seed: 21, clusters: 2, nodesPerCluster: 2, guests: 12, tokenSecret: CANARY, taskTimeScale: 0.05, authFailDelayMs: 50 });
});
afterAll(async () => {
  await sim?.stop();
  if (dirs) rmSync(dirs.dir, { recursive: true, force: true });
});

/** Every regular file under dir (following nothing), with its bytes. */
function allFiles(dir: string): Array<{ path: string; bytes: Buffer }> {
  const out: Array<{ path: string; bytes: Buffer }> = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const st = statSync(p, { throwIfNoEntry: false });
    if (!st) continue;
    if (st.isDirectory()) out.push(...allFiles(p));
    else if (st.isFile()) out.push({ path: p, bytes: readFileSync(p) });
  }
  return out;
}

/** The canary as it could appear: raw, in the Authorization header value, base64 or URL-encoded. */
function forms(tokenId: string): string[] {
  const header = `PVEAPIToken=${tokenId}=${CANARY}`;
  return [CANARY, Buffer.from(CANARY).toString('base64'), Buffer.from(header).toString('base64'), encodeURIComponent(header), CANARY.slice(8, 24)];
}

function dropAction(inbox: string, request: object, name: string): void {
  writeFileSync(join(inbox, 'tmp', name), JSON.stringify(request));
  renameSync(join(inbox, 'tmp', name), join(inbox, 'new', name));
}

function resultFiles(inbox: string): string[] {
  return ['done', 'failed', 'rejected'].flatMap((f) => {
    try {
      return readdirSync(join(inbox, f)).map((n) => `${f}/${n}`);
    } catch {
      return [];
    }
  });
}

describe('canary token secret', () => {
  it('appears nowhere after 401, 500, bad TLS, a failed and a rejected action', async () => {
    dirs = writeAgentConfig(sim, (c) => {
      c.log = { level: 'trace', file: { path: 'logs/agent' }, auditFile: { path: 'logs/audit' } };
      c.actions = { policy: [{ actions: ['stop', 'start'] }] };
    });
    const [a, b] = sim.clusters as [SimHandle['clusters'][0], SimHandle['clusters'][0]];
    const victim = [...sim.world.clusters[1]!.guests.values()].find((g) => g.status === 'running' && g.template === 0 && g.type === 'qemu' && !g.hastate)!; // HA guests are judged by state, not by the task
    expect(victim).toBeDefined();

    const sink = logSink();
    // A clean stop checkpoints and removes the -wal, so it is captured while the agent runs.
    const walCopies: Buffer[] = [];
    const captureWal = () => {
      const wal = statSync(`${dirs.database}-wal`, { throwIfNoEntry: false });
      if (wal && wal.size > 0) walCopies.push(readFileSync(`${dirs.database}-wal`));
    };
    const ac = new AbortController();
    const guard = setTimeout(() => ac.abort(), 90_000);
    const code = await runAgent(dirs.configPath, {
      intervalSeconds: 5,
      signal: ac.signal,
      logDestination: sink.stream,
      onCycle: (_summary, n) => {
        captureWal();
        if (n === 1) {
          sim.faults.set({ cluster: a.name }, { kind: 'auth401' });
          sim.faults.set({ cluster: b.name, path: '/cluster/resources' }, { kind: 'error500', message: 'canary test: internal error' });
          sim.faults.set({ cluster: b.name }, { kind: 'taskFail', vmid: victim.vmid, message: 'canary test: task failed' });
          dropAction(dirs.inbox, { version: 1, id: 'canary-stop', cluster: b.name, vmid: victim.vmid, action: 'stop' }, 'canary-stop.json');
          dropAction(dirs.inbox, { version: 1, id: 'canary-reset', cluster: b.name, vmid: victim.vmid, action: 'reset' }, 'canary-reset.json');
        } else if (n === 2) {
          sim.faults.clear();
          sim.faults.set({ cluster: a.name }, { kind: 'certChanged' });
        } else if (n === 3) {
          sim.faults.clear();
        } else if (resultFiles(dirs.inbox).length >= 2) {
          ac.abort();
        }
      },
    });
    clearTimeout(guard);
    expect(code).toBe(0);

    // The faults really happened (otherwise this test would prove nothing).
    const logText = sink.text();
    for (const c of ['PVE_AUTH', 'PVE_HTTP', 'PVE_TLS']) expect(logText, c).toContain(c);
    const inboxLog = sink.lines.filter((l) => String(l.module ?? '').startsWith('inbox') || l.audit).map((l) => JSON.stringify(l)).join('\n');
    expect(resultFiles(dirs.inbox).sort(), inboxLog).toEqual(['failed/canary-stop.json', 'rejected/canary-reset.json']);

    const files = allFiles(dirs.dir).filter((f) => f.path !== join(dirs.dir, 'token'));
    const names = files.map((f) => f.path.slice(dirs.dir.length + 1));
    // Everything the agent writes is in the search: logs, audit log, site, database (+ -wal), results.
    expect(names.some((n) => /^logs\/agent\..*\.log$/.test(n))).toBe(true);
    expect(names.some((n) => /^logs\/audit\..*\.log$/.test(n))).toBe(true);
    expect(names.some((n) => n.startsWith('site/'))).toBe(true);
    expect(names).toContain('pmi.sqlite');
    expect(names.some((n) => n.startsWith('inbox/failed/'))).toBe(true);
    expect(walCopies.length).toBeGreaterThan(0);
    files.push(...walCopies.map((bytes, i) => ({ path: `pmi.sqlite-wal (copy taken after cycle ${i + 1})`, bytes })));

    // Positive control: the search finds the canary where it legitimately is.
    expect(readFileSync(join(dirs.dir, 'token')).includes(CANARY)).toBe(true);

    const leaks: string[] = [];
    for (const form of forms(sim.tokenId)) {
      if (logText.includes(form)) leaks.push(`stdout log: ${form}`);
      for (const f of files) if (f.bytes.includes(form)) leaks.push(`${f.path}: ${form}`);
    }
    expect(leaks).toEqual([]);
  }, 120_000);
});
