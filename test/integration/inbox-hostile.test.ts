// Issue 11: the inbox is a security boundary. Every attack of the issue, done the way a hostile member
// of the submit group does it: the inbox laid out with the modes the shipped tmpfiles.d entry sets,
// the agent running as its own user (in the submit group), alice and mallory as two other members
// and an outsider, each step in a child process with that user's uid and groups (setpriv).
import { spawn, type ChildProcess } from 'node:child_process';
import { chmod, chown, mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../agent/store/open-database.ts';
import { inboxDb } from '../../agent/inbox/action.repository.ts';
import { startSimulator, type SimHandle } from '../../scripts/pve-sim/index.ts';
import { asUserArgv, createHostileUsers, layOutInboxLikeInstall, nodeAs, removeHostileUsers, runAs, spawnAs, type TestUser } from '../support/hostile-users.ts';
import { accessOf, request, results, seedInventory, waitFor } from './inbox-harness.ts';
import { requestFileName, writeRequestFile } from '../../agent/inbox/submit-client.ts';

const RUNNER = join(import.meta.dirname, 'inbox-hostile-runner.ts');
const REPO = join(import.meta.dirname, '../..');
const USER_ALICE = 'pmi11alice';

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

describe('issue 11: hostile members of the submit group', { timeout: 240_000 }, () => {
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

  it('5: tmp/ and new/ are sticky: mallory can neither delete, withhold nor replace alice\'s request', async () => {
    const root = await mkdtemp('/tmp/pmi11-');
    roots.push(root);
    await chmod(root, 0o755);
    const inbox = join(root, 'inbox');
    await layOutInboxLikeInstall(inbox, users.agent, users.submitGid); // no agent running: files stay put
    await dropAs(users.alice, inbox, snapshotRequest('alice-pending'), 'alice.json');
    await nodeAs(users.alice.name, `import { writeFileSync } from 'node:fs'; writeFileSync(process.env.INBOX + '/tmp/alice-draft', '{}');`, { INBOX: inbox });
    const out = await nodeAs(
      users.mallory.name,
      `import { unlinkSync, renameSync, writeFileSync } from 'node:fs';
       const i = process.env.INBOX, res = {};
       const tryIt = (k, f) => { try { f(); res[k] = 'done'; } catch (e) { res[k] = e.code; } };
       tryIt('delete', () => unlinkSync(i + '/new/alice.json'));
       tryIt('withhold', () => renameSync(i + '/new/alice.json', i + '/tmp/held.json'));
       writeFileSync(i + '/tmp/mine.json', '{"forged":true}');
       tryIt('replace', () => renameSync(i + '/tmp/mine.json', i + '/new/alice.json'));
       tryIt('deleteDraft', () => unlinkSync(i + '/tmp/alice-draft'));
       process.stdout.write(JSON.stringify(res));`,
      { INBOX: inbox },
    );
    expect(JSON.parse(out)).toEqual({ delete: 'EPERM', withhold: 'EPERM', replace: 'EPERM', deleteDraft: 'EPERM' });
    expect(JSON.parse(await readFile(join(inbox, 'new', 'alice.json'), 'utf8'))).toMatchObject({ id: 'alice-pending' });
  });

  it('4: the submitter is the owner; policy rules name users and groups; an outsider\'s or doubly linked file is refused', async () => {
    const a = await startAgent({
      actions: { policy: [{ actions: ['snapshot'], users: [USER_ALICE] }, { actions: ['delete-snapshot'], groups: ['pmi11submit'] }] },
    });
    try {
      const mine = await resultFor(a.inbox, await dropAs(users.alice, a.inbox, snapshotRequest('alice-snap'), 'alice-snap.json'));
      expect(mine).toMatchObject({ outcome: 'done', submitter: { uid: users.alice.uid, user: users.alice.name } });
      const theirs = await resultFor(a.inbox, await dropAs(users.mallory, a.inbox, snapshotRequest('mallory-snap'), 'mallory-snap.json'));
      expect(theirs).toMatchObject({ outcome: 'rejected', errorCode: 'ACTION_NOT_ALLOWED', submitter: { uid: users.mallory.uid } });
      expect(theirs.reason).toContain(users.mallory.name);
      const byGroup = await resultFor(a.inbox, await dropAs(users.mallory, a.inbox, request('mallory-del', cluster, vmids[0]!, 'delete-snapshot', { name: 'nosuchsnap' }), 'mallory-del.json'));
      expect(byGroup.errorCode).not.toBe('ACTION_NOT_ALLOWED');
      // The outsider cannot write the inbox; a file of theirs that root moves in is still not theirs to submit.
      const outsiderFile = join(a.dataDir, 'outsider.json');
      await chmod(a.dataDir, 0o777);
      await nodeAs(users.outsider.name, `import { writeFileSync } from 'node:fs'; writeFileSync(process.env.F, process.env.BODY);`, { F: outsiderFile, BODY: JSON.stringify(snapshotRequest('outsider-snap')) });
      await chmod(a.dataDir, 0o750);
      const { rename } = await import('node:fs/promises');
      await rename(outsiderFile, join(a.inbox, 'new', 'outsider.json'));
      const out = await resultFor(a.inbox, 'outsider.json');
      expect(out).toMatchObject({ outcome: 'rejected', errorCode: 'ACTION_NOT_ALLOWED', submitter: { uid: users.outsider.uid } });
      expect(out.reason).toMatch(/not a member of the submit group/);
    } finally {
      await a.stop();
    }
  });

  it('4/10: under the shipped unit\'s PrivateUsers= setting the agent sees the submitter\'s real uid (user namespace as systemd maps it)', async () => {
    const unit = await readFile(join(REPO, 'systemd/pmi-agent.service'), 'utf8');
    const setting = /^PrivateUsers=(.*)$/m.exec(unit)?.[1]?.trim() ?? 'no';
    const a = await startAgent();
    await a.stop(); // only its inbox layout is needed; the agent user reads a file there below
    await dropAs(users.alice, a.inbox, snapshotRequest('ns-probe'), 'probe.json');
    const probe = `import { openMaildir, readClaimed } from ${JSON.stringify(join(REPO, 'agent/inbox/maildir.ts'))};
      const { md } = await openMaildir(process.env.INBOX);
      const { rename } = await import('node:fs/promises');
      await rename(md.path('new', 'probe.json'), md.path('cur', '1.1.probe.json'));
      const r = await readClaimed(md, '1.1.probe.json');
      process.stdout.write(JSON.stringify({ uid: r.uid }));`;
    const nodeArgv = [process.execPath, '--import', 'tsx', '--input-type=module', '-e', probe];
    let seen: { uid: number };
    if (['no', 'false', 'off', '0'].includes(setting)) {
      const r = await runAs(users.agent.name, nodeArgv, { env: { INBOX: a.inbox }, cwd: REPO });
      expect(r.code, r.stderr).toBe(0);
      seen = JSON.parse(r.stdout) as { uid: number };
    } else {
      // What systemd does for PrivateUsers=yes: a new user namespace mapping root and the service's
      // own user and group only (identity: the first 65536). Here: unshare holds the namespace, root
      // writes the maps from outside as systemd would, and the agent's code runs inside as its user.
      const maps = setting === 'identity' ? { uid: '0 0 65536\n', gid: '0 0 65536\n' } : ['yes', 'true', 'on', '1'].includes(setting) ? { uid: `0 0 1\n${users.agent.uid} ${users.agent.uid} 1\n`, gid: `0 0 1\n${users.agent.gid} ${users.agent.gid} 1\n` } : undefined;
      if (!maps) throw new Error(`PrivateUsers=${setting}: this test does not know how systemd maps it`);
      const holder = spawn('unshare', ['--user', '--', 'sleep', '120'], { stdio: 'ignore' });
      children.add(holder);
      try {
        const { readlink } = await import('node:fs/promises');
        const mine = await readlink('/proc/self/ns/user');
        await waitFor(async () => (await readlink(`/proc/${holder.pid}/ns/user`).catch(() => mine)) !== mine || undefined, 10_000, 'the user namespace');
        await writeFile(`/proc/${holder.pid}/uid_map`, maps.uid);
        await writeFile(`/proc/${holder.pid}/gid_map`, maps.gid);
        const r = await runAs('root', ['nsenter', `--user=/proc/${holder.pid}/ns/user`, '--', 'setpriv', `--reuid=${users.agent.uid}`, `--regid=${users.agent.gid}`, '--clear-groups', '--', ...nodeArgv], { env: { INBOX: a.inbox }, cwd: REPO });
        expect(r.code, r.stderr).toBe(0);
        seen = JSON.parse(r.stdout) as { uid: number };
      } finally {
        holder.kill('SIGKILL');
        children.delete(holder);
      }
    }
    expect(seen.uid, `PrivateUsers=${setting}: the agent saw uid ${seen.uid} for alice's file`).toBe(users.alice.uid);
  });

  it('7: a request whose intake fails on a locked database is retried, not left in cur/ until a restart', async () => {
    const a = await startAgent();
    const locker = spawn('sqlite3', [join(a.dataDir, 'pmi.sqlite')], { stdio: ['pipe', 'ignore', 'ignore'] });
    children.add(locker);
    try {
      locker.stdin.write('BEGIN IMMEDIATE;\nINSERT INTO agent_state VALUES (\'pmi11-lock\', \'x\', 0);\n');
      const file = await dropAs(users.alice, a.inbox, snapshotRequest('alice-locked'), 'alice-locked.json');
      await waitFor(() => a.output().includes('could not process') || undefined, 60_000, 'the intake to fail on the lock').catch((err: Error) => {
        throw new Error(`${err.message}\n${a.output()}`);
      });
      locker.stdin.end('ROLLBACK;\n.quit\n');
      expect(await resultFor(a.inbox, file)).toMatchObject({ outcome: 'done' });
      expect(await readdir(join(a.inbox, 'cur'))).toEqual([]);
    } finally {
      locker.kill('SIGKILL');
      children.delete(locker);
      await a.stop();
    }
  });

  it('8: requests waiting for a notBefore beyond the longest timer hold no executor slot', async () => {
    const a = await startAgent({ actions: { concurrency: 1, policy: [{ actions: ['snapshot'] }] }, env: { PMI_H_MAX_TIMER_MS: '200' } });
    try {
      const later = Math.floor(Date.now() / 1000) + 30 * 86_400;
      for (const [i, vmid] of vmids.slice(1, 5).entries()) await dropAs(users.mallory, a.inbox, { ...snapshotRequest(`far-${i}`, vmid), notBefore: later }, `far-${i}.json`);
      await waitFor(async () => (await readdir(join(a.inbox, 'new'))).length === 0 || undefined, 30_000, 'the far requests to be taken in');
      // Long enough for the old code's clamped timers (200 ms here) to have fired and taken the slot.
      await new Promise((r) => setTimeout(r, 1000));
      const file = await dropAs(users.alice, a.inbox, snapshotRequest('alice-now', vmids[0]), 'alice-now.json');
      expect(await resultFor(a.inbox, file)).toMatchObject({ outcome: 'done' });
      expect((await results(a.inbox)).filter((r) => r.id.startsWith('far-'))).toEqual([]);
    } finally {
      await a.stop();
    }
  });

  it('9: 300 junk files of mallory do not queue alice\'s request behind them (intake takes turns per submitter)', async () => {
    const a = await startAgent({
      before: async (inbox) => {
        await nodeAs(users.mallory.name, `import { writeFileSync, renameSync } from 'node:fs';
          for (let k = 0; k < 300; k++) { const n = 'a-' + String(k).padStart(4, '0'); writeFileSync(process.env.INBOX + '/tmp/' + n, 'junk'); renameSync(process.env.INBOX + '/tmp/' + n, process.env.INBOX + '/new/' + n); }`, { INBOX: inbox });
        await dropAs(users.alice, inbox, snapshotRequest('alice-fair'), 'z-alice.json');
      },
    });
    try {
      await resultFor(a.inbox, 'z-alice.json');
      const store = await openDatabase(join(a.dataDir, 'pmi.sqlite'));
      try {
        const row = await store.db.selectFrom('actions').select('file_name').where('file_name', 'like', '%.z-alice.json').executeTakeFirstOrThrow();
        const seq = Number(/^\d+\.(\d+)\./.exec(row.file_name!)![1]);
        expect(seq, `alice's file was claimed as number ${seq}`).toBeLessThanOrEqual(1);
      } finally {
        await store.close();
      }
      await waitFor(async () => (await readdir(join(a.inbox, 'new'))).length === 0 || undefined, 120_000, 'the junk to be rejected');
    } finally {
      await a.stop();
    }
  });

  it('10: nobody can squat another user\'s id; submit --wait finds its own result; a POST before expiry is reported', async () => {
    const offsetFile = join(await mkdtemp('/tmp/pmi11-'), 'offset');
    roots.push(dirname(offsetFile));
    await writeFile(offsetFile, '0');
    await chmod(dirname(offsetFile), 0o755);
    const a = await startAgent({ actions: { maxAttempts: 20, retryBaseMs: 300, policy: [{ actions: ['snapshot', 'start'] }] }, env: { PMI_H_NOW_OFFSET_FILE: offsetFile } });
    try {
      const squat = await resultFor(a.inbox, await dropAs(users.mallory, a.inbox, { version: 1, id: 'alice-future' }, 'squat.json'));
      expect(squat.outcome).toBe('rejected');
      const r = await runAs(users.alice.name, [process.execPath, '--import', 'tsx', join(REPO, 'scripts/submit-action.ts'), '--inbox', a.inbox, '--cluster', cluster, '--vmid', String(vmids[0]), '--action', 'snapshot', '--name', 'squatproof', '--id', 'alice-future', '--wait', '60'], { cwd: REPO, timeoutMs: 90_000 });
      expect({ code: r.code, out: r.stdout }).toMatchObject({ code: 0, out: expect.stringMatching(new RegExp(`^done: snapshot ${cluster}/${vmids[0]} in \\d+\\.\\d s`)) as unknown });
      const again = await resultFor(a.inbox, await dropAs(users.alice, a.inbox, snapshotRequest('alice-future'), 'again.json'));
      expect(again).toMatchObject({ outcome: 'rejected', errorCode: 'ACTION_DUPLICATE' });
      // Duplicates of one id: each result name is found in one step (the claim token), not by probing ~2, ~3, …
      await nodeAs(users.mallory.name, `import { writeFileSync, renameSync } from 'node:fs';
        for (let k = 0; k < 30; k++) { const n = 'dup-' + k + '.json'; writeFileSync(process.env.INBOX + '/tmp/' + n, process.env.BODY); renameSync(process.env.INBOX + '/tmp/' + n, process.env.INBOX + '/new/' + n); }`, { INBOX: a.inbox, BODY: JSON.stringify(request('dup', cluster, vmids[0]!, 'stop')) });
      const dups = await waitFor(async () => {
        const r = (await results(a.inbox)).filter((x) => x.id === 'dup');
        return r.length === 30 ? r : undefined;
      }, 60_000, '30 results of id "dup"');
      expect(dups.map((d) => d.fileName).filter((n) => n !== 'dup.json').every((n) => /^dup~\d+\.\d+\.json$/.test(n))).toBe(true);
      // Expiry after a POST went out: the POST fails transiently, the clock passes `expires` during the backoff.
      const stopped = [...sim.world.clusters[0]!.guests.values()].find((g) => g.type === 'qemu' && g.status === 'stopped' && !g.template && !g.hastate);
      if (!stopped) throw new Error('the simulated world has no stopped VM to start');
      const vmid = stopped.vmid;
      sim.faults.set({ cluster, path: new RegExp(`/qemu/${vmid}/status/start$`) }, { kind: 'error500', message: 'temporary failure' });
      try {
        const expires = Math.floor(Date.now() / 1000) + 3600;
        const file = await dropAs(users.alice, a.inbox, request('alice-expiring', cluster, vmid, 'start', undefined, { expires }), 'expiring.json');
        const store = await openDatabase(join(a.dataDir, 'pmi.sqlite'));
        try {
          await waitFor(async () => ((await inboxDb(store.db).selectFrom('actions').select('attempts').where('request_id', '=', 'alice-expiring').executeTakeFirst())?.attempts ?? 0) >= 1 || undefined, 30_000, 'the first POST');
        } finally {
          await store.close();
        }
        await writeFile(offsetFile, String(2 * 3600 * 1000));
        const res = await resultFor(a.inbox, file);
        expect(res).toMatchObject({ outcome: 'failed', errorCode: 'ACTION_EXPIRED' });
        expect(res.reason).toMatch(/after \d+ calls? (was|were) sent to Proxmox \(UPID: /);
        expect(res.reason).not.toContain('nothing was sent');
      } finally {
        sim.faults.clear({ cluster });
      }
    } finally {
      await a.stop();
    }
  });
});

describe('issue 11: the submit helper', () => {
  it('6: never follows a symlink planted at its file name (run as root it would overwrite a root-only file)', async () => {
    const root = await mkdtemp('/tmp/pmi11-');
    roots.push(root);
    await chmod(root, 0o755);
    const inbox = join(root, 'inbox');
    await layOutInboxLikeInstall(inbox, users.agent, users.submitGid);
    const secret = join(root, 'root-only');
    await writeFile(secret, 'root secret\n', { mode: 0o600 });
    const name = requestFileName('x');
    expect(requestFileName('x')).not.toBe(name);
    expect(name).toMatch(/^x\.[0-9a-f]{32}\.json$/);
    await nodeAs(users.mallory.name, `import { symlinkSync } from 'node:fs'; symlinkSync(process.env.T, process.env.L);`, { T: secret, L: join(inbox, 'tmp', name) });
    await expect(writeRequestFile(inbox, '{"forged":1}', name)).rejects.toMatchObject({ code: 'EEXIST' });
    expect(await readFile(secret, 'utf8')).toBe('root secret\n');
  });

  it('9: reports a missing flag by name', async () => {
    const { main } = await import('../../scripts/submit-action.ts');
    const err: string[] = [];
    const errWrite = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((s: string) => err.push(s) > 0) as typeof process.stderr.write;
    try {
      expect(await main(['--inbox', '/nonexistent', '--cluster', 'lab', '--action', 'start'])).toBe(64);
      expect(await main(['--inbox', '/nonexistent', '--cluster', 'lab', '--vmid', '101', '--action', 'migrate'])).toBe(64);
    } finally {
      process.stderr.write = errWrite;
    }
    expect(err.join('')).toMatch(/^--vmid is required\n/);
    expect(err.join('')).toContain('--target is required for --action migrate');
  });
});
