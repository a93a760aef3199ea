// Issue 11: the inbox is a security boundary. Every attack of the issue, done the way a hostile member
// of the submit group does it: the inbox laid out with the modes the shipped tmpfiles.d entry sets,
// the agent running as its own user (in the submit group), alice and mallory as two other members
// and an outsider, each step in a child process with that user's uid and groups (setpriv).
import { spawn, type ChildProcess } from 'node:child_process';
import { chmod, chown, mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../agent/store/open-database.ts';
import { startSimulator, type SimHandle } from '../../scripts/pve-sim/index.ts';
import { asUserArgv, createHostileUsers, layOutInboxLikeInstall, nodeAs, removeHostileUsers, runAs, spawnAs, type TestUser } from '../support/hostile-users.ts';
import { accessOf, request, results, seedInventory, waitFor } from './inbox-harness.ts';

const RUNNER = join(import.meta.dirname, 'inbox-hostile-runner.ts');
const REPO = join(import.meta.dirname, '../..');

let users: ReturnType<typeof createHostileUsers>;
let sim: SimHandle;
let cluster: string;
let vmids: number[];
const roots: string[] = [];
const children = new Set<ChildProcess>();

interface Agent {
  inbox: string;
  dataDir: string;
  output: () => string;
  stop: () => Promise<void>;
}

/** A fresh inbox (laid out like install.sh/tmpfiles.d) and database, and the agent running as its user. */
async function startAgent(opts: { actions?: object; env?: Record<string, string>; before?: (inbox: string) => Promise<void> } = {}): Promise<Agent> {
  const root = await mkdtemp('/tmp/pmi11-'); // not under the test run's private tmp: the agent's user must reach it
  roots.push(root);
  await chmod(root, 0o755);
  const inbox = join(root, 'inbox');
  await layOutInboxLikeInstall(inbox, users.agent, users.submitGid);
  const dataDir = join(root, 'data');
  await mkdir(dataDir, { mode: 0o750 });
  const dbFile = join(dataDir, 'pmi.sqlite');
  const store = await openDatabase(dbFile);
  await seedInventory(store.db, sim);
  await store.close();
  for (const f of await readdir(dataDir)) await chown(join(dataDir, f), users.agent.uid, users.agent.gid);
  await chown(dataDir, users.agent.uid, users.agent.gid);
  await opts.before?.(inbox);
  const [cmd, ...args] = asUserArgv(users.agent.name, [process.execPath, '--import', 'tsx', RUNNER]);
  const child = spawn(cmd!, args, {
    cwd: REPO,
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      PMI_H_INBOX: inbox,
      PMI_H_DB: dbFile,
      PMI_H_ACCESS: JSON.stringify(accessOf(sim)),
      PMI_H_ACTIONS: JSON.stringify(opts.actions ?? { policy: [{ actions: ['snapshot', 'start', 'stop', 'delete-snapshot'] }] }),
      ...opts.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await waitFor(() => out.includes('ready\n') || child.exitCode !== null || undefined, 90_000, 'the agent to start').catch((err: Error) => {
    throw new Error(`${err.message}\n${out}`);
  });
  if (!out.includes('ready\n')) throw new Error(`the agent exited at start:\n${out}`);
  return {
    inbox,
    dataDir,
    output: () => out,
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
      children.delete(child);
    },
  };
}

/** Drops a request as `user` the Maildir way (write tmp/, rename into new/). Returns the file name. */
async function dropAs(user: TestUser, inbox: string, content: object | string, name: string): Promise<string> {
  await nodeAs(
    user.name,
    `import { writeFileSync, renameSync } from 'node:fs';
     writeFileSync(process.env.INBOX + '/tmp/' + process.env.NAME, process.env.BODY, { mode: 0o640 });
     renameSync(process.env.INBOX + '/tmp/' + process.env.NAME, process.env.INBOX + '/new/' + process.env.NAME);`,
    { INBOX: inbox, NAME: name, BODY: typeof content === 'string' ? content : JSON.stringify(content) },
  );
  return name;
}

const resultFor = (inbox: string, file: string, what = file) =>
  waitFor(async () => (await results(inbox)).find((r) => r.file === file), 60_000, `the result of ${what}`);

let snapSeq = 0;
const snapshotRequest = (id: string, vmid = vmids[0]!) => request(id, cluster, vmid, 'snapshot', { name: `s${snapSeq++}x` });

beforeAll(async () => {
  users = createHostileUsers();
  sim = await startSimulator({ seed: 11, guests: 12, taskTimeScale: 0.02 });
  cluster = sim.clusters[0]!.name;
  vmids = [...sim.world.clusters[0]!.guests.values()].filter((g) => g.type === 'qemu' && !g.template && !g.hastate).map((g) => g.vmid);
}, 120_000);

afterAll(async () => {
  for (const c of children) c.kill('SIGKILL');
  await sim?.stop();
  for (const r of roots) await rm(r, { recursive: true, force: true });
  removeHostileUsers();
});

describe('issue 11: hostile members of the submit group', () => {
  it('1/5: nothing one member drops stops the others (directory, FIFO, socket, unreadable, undecodable name, huge, symlink, hard link)', async () => {
    const a = await startAgent();
    try {
      const m = users.mallory;
      // All of mallory's entries sort before alice's request.
      await nodeAs(
        m.name,
        `import { mkdirSync, writeFileSync, renameSync, chmodSync, symlinkSync, linkSync, openSync, ftruncateSync, closeSync } from 'node:fs';
         import { execFileSync } from 'node:child_process';
         import net from 'node:net';
         const t = process.env.INBOX + '/tmp/', n = process.env.INBOX + '/new/';
         mkdirSync(t + 'a-dir', { mode: 0o755 }); writeFileSync(t + 'a-dir/inner', 'x'); renameSync(t + 'a-dir', n + 'a-dir');
         execFileSync('mkfifo', [t + 'b-fifo']); renameSync(t + 'b-fifo', n + 'b-fifo');
         writeFileSync(t + 'c-unreadable', '{}'); chmodSync(t + 'c-unreadable', 0); renameSync(t + 'c-unreadable', n + 'c-unreadable');
         const bad = Buffer.concat([Buffer.from(t), Buffer.from([0x64, 0xff, 0xfe, 0x2e, 0x6a])]);
         writeFileSync(bad, '{}'); renameSync(bad, Buffer.concat([Buffer.from(n), Buffer.from([0x64, 0xff, 0xfe, 0x2e, 0x6a])]));
         const fd = openSync(t + 'e-huge', 'w'); ftruncateSync(fd, 1024 ** 3); closeSync(fd); renameSync(t + 'e-huge', n + 'e-huge');
         symlinkSync('/etc/shadow', t + 'f-link'); renameSync(t + 'f-link', n + 'f-link');
         writeFileSync(t + 'g-one', '{}'); linkSync(t + 'g-one', t + 'g-two'); renameSync(t + 'g-two', n + 'g-two');
         await new Promise((res) => { const s = net.createServer(); s.listen(t + 'h-sock', () => { renameSync(t + 'h-sock', n + 'h-sock'); res(); }); });
         process.exit(0);`,
        { INBOX: a.inbox },
      );
      const file = await dropAs(users.alice, a.inbox, snapshotRequest('alice-after-junk'), 'z-alice.json');
      expect(await resultFor(a.inbox, file)).toMatchObject({ outcome: 'done', submitter: { uid: users.alice.uid, user: users.alice.name } });
      // Another full round of scans later, the directory is still recorded exactly once.
      const again = await dropAs(users.alice, a.inbox, snapshotRequest('alice-later'), 'z-alice-2.json');
      await resultFor(a.inbox, again);
      const rejected = (await results(a.inbox)).filter((r) => r.outcome === 'rejected');
      const reasons = rejected.map((r) => r.reason ?? '');
      expect(reasons.filter((r) => r.includes('new/a-dir cannot be claimed'))).toHaveLength(1);
      for (const [what, re] of [
        ['FIFO', /not a regular file \(a FIFO\)/],
        ['socket', /not a regular file \(a socket\)/],
        ['unreadable', /may not read it \(mode 0\)/],
        ['huge', /1073741824 bytes/],
        ['symlink', /symbolic link/],
        ['hard link', /2 hard links/],
      ] as const) expect(reasons.some((r) => re.test(r)), `${what}: ${reasons.join('\n')}`).toBe(true);
      expect(rejected.some((r) => r.file === 'd??.j')).toBe(true);
      expect(await readdir(join(a.inbox, 'new'))).toEqual(['a-dir']);
      expect(await readdir(join(a.inbox, 'cur'))).toEqual([]);
    } finally {
      await a.stop();
    }
  });

  it('2: cleaning tmp/ never deletes anything outside tmp/, while mallory swaps path components for symlinks', async () => {
    const a = await startAgent({ env: { PMI_H_TMPCLEAN_MS: '0' } });
    try {
      const precious = join(a.dataDir, 'precious');
      await mkdir(precious);
      for (let i = 0; i < 2000; i++) await writeFile(join(precious, `f${i}`), 'keep');
      await chown(precious, users.agent.uid, users.agent.gid);
      for (const f of await readdir(precious)) await chown(join(precious, f), users.agent.uid, users.agent.gid);
      await chmod(a.dataDir, 0o755); // mallory must be able to name the target (the agent's data is often readable)
      // An "abandoned" directory with 2,000 files, backdated; the moment the agent starts deleting
      // inside it (inotify), x/ becomes a symlink to the agent's data: a recursive delete would go on there.
      const out = await nodeAs(
        users.mallory.name,
        `import { mkdirSync, writeFileSync, renameSync, symlinkSync, utimesSync, chmodSync, watch } from 'node:fs';
         const d = process.env.INBOX + '/tmp/old';
         mkdirSync(d + '/x', { recursive: true }); chmodSync(d, 0o777); chmodSync(d + '/x', 0o777);
         for (let k = 0; k < 2000; k++) writeFileSync(d + '/x/f' + k, '');
         const old = new Date(Date.now() - 40 * 3600e3);
         utimesSync(d + '/x', old, old); utimesSync(d, old, old);
         let swapped = false;
         const w = watch(d + '/x', (ev) => { if (ev !== 'rename' || swapped) return; swapped = true; renameSync(d + '/x', d + '/y'); symlinkSync(process.env.PRECIOUS, d + '/x'); });
         // Give the agent many cleanups (it cleans on every scan here, 10 a second).
         await new Promise((r) => setTimeout(r, 4000));
         w.close();
         process.stdout.write(swapped ? 'swapped' : 'untouched');`,
        { INBOX: a.inbox, PRECIOUS: precious },
      );
      expect(out).toBe('untouched');
      expect((await readdir(precious)).length).toBe(2000);
      expect(await readdir(a.dataDir)).toContain('pmi.sqlite');
    } finally {
      await a.stop();
    }
  });

  it('3: results cannot be forged: staged where only the agent writes, owned by the agent with one link', async () => {
    const a = await startAgent();
    try {
      expect((await runAs(users.mallory.name, ['touch', join(a.inbox, '.staging', 'x')])).code).not.toBe(0);
      // Mallory watches tmp/ (inotify) and at once renames a file of hers over anything new there:
      // that is where results used to be staged. She also notes every name she saw.
      const r = spawnAs(users.mallory.name, [process.execPath, '--input-type=module', '-e', `
        import { watch, writeFileSync, renameSync } from 'node:fs';
        const t = process.env.INBOX + '/tmp/';
        let n = 0;
        watch(t, (ev, f) => {
          if (!f || f.startsWith('m-')) return;
          process.stdout.write(f + '\\n');
          try { writeFileSync(t + 'm-' + n, '{"forged":true}'); renameSync(t + 'm-' + n++, t + f); } catch {}
        });
        process.stdout.write('watching\\n');
      `], { INBOX: a.inbox });
      let seen = '';
      r.stdout!.on('data', (d: Buffer) => (seen += d.toString()));
      await waitFor(() => seen.includes('watching') || undefined, 30_000, 'mallory watching tmp/');
      children.add(r);
      try {
        const files: string[] = [];
        for (let i = 0; i < 15; i++) files.push(await dropAs(users.alice, a.inbox, { version: 1, id: `alice-bad-${i}` }, `r${i}.json`));
        for (const f of files) await resultFor(a.inbox, f);
        const foreign = seen.split('\n').filter((n) => n && n !== 'watching' && !/^r\d+\.json$/.test(n));
        expect(foreign, 'names that passed through the shared tmp/ besides the requests').toEqual([]);
      } finally {
        r.kill('SIGKILL');
        children.delete(r);
      }
      for (const folder of ['done', 'failed', 'rejected']) {
        for (const n of await readdir(join(a.inbox, folder))) {
          const st = await stat(join(a.inbox, folder, n));
          expect({ n, uid: st.uid, nlink: st.nlink }).toEqual({ n, uid: users.agent.uid, nlink: 1 });
          expect(await readFile(join(a.inbox, folder, n), 'utf8')).not.toContain('forged');
        }
      }
    } finally {
      await a.stop();
    }
  });
});

