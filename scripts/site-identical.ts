// Byte-identity check for refactors of agent/site/: builds the site of fixed fixtures with the code
// of a given source tree and writes every file's SHA-1 after every build, so the manifests of two
// trees (before and after a change) can be compared. Not part of `npm test` or `npm run bench`.
//   node --import tsx scripts/site-identical.ts <tree> <out.json> [sim.sqlite] [sizes, e.g. 1000,5500]
//   node --import tsx scripts/site-identical.ts --compare <a.json> <b.json>
// Fixtures: the synthetic database of the site bench (the first size with a hostile guest name;
// 5,500 guests are two clusters), full build, three ordinary cycles, a restart, an in-memory
// build; and, when given, a copy of a simulator database (`npm run demo -- --cycles 8 --clusters 2
// --hostile --pve 9`) with actions, poll errors, an offline node and a full storage added, built
// three times and restarted. Build times are pinned (performance.now() is 0): the agent page shows
// the previous build's time.
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Writable } from 'node:stream';
import type * as SiteBuilderModule from '../agent/site/site-builder.ts';
import type * as SiteBenchModule from './bench/site.bench.ts';
import type * as OpenDatabaseModule from '../agent/store/open-database.ts';
import type * as LoggerModule from '../agent/log/logger.ts';

type Manifest = Record<string, Record<string, string>>;

if (process.argv[2] === '--compare') {
  const [a, b] = process.argv.slice(3).map((f) => JSON.parse(readFileSync(f, 'utf8')) as Manifest);
  let diffs = 0;
  let files = 0;
  for (const step of new Set([...Object.keys(a!), ...Object.keys(b!)])) {
    const x = a![step] ?? {};
    const y = b![step] ?? {};
    for (const p of new Set([...Object.keys(x), ...Object.keys(y)])) {
      files++;
      if (x[p] === y[p]) continue;
      if (++diffs <= 40) console.log(`${step}: ${p}: ${x[p] ?? '(missing)'} → ${y[p] ?? '(missing)'}`);
    }
  }
  console.log(diffs === 0 ? `identical: ${files} files over ${Object.keys(a!).length} builds` : `${diffs} of ${files} files differ`);
  process.exit(diffs === 0 ? 0 : 1);
}

const [treeArg, outFile, simDb, sizesArg] = process.argv.slice(2);
const tree = resolve(treeArg!);
const sizes = (sizesArg ?? '1000,5500').split(',').map(Number);
performance.now = () => 0;

const { createSiteBuilder } = (await import(join(tree, 'agent/site/site-builder.ts'))) as typeof SiteBuilderModule;
const { makeSynthetic } = (await import(join(tree, 'scripts/bench/site.bench.ts'))) as typeof SiteBenchModule;
const { openDatabase } = (await import(join(tree, 'agent/store/open-database.ts'))) as typeof OpenDatabaseModule;
const { createLogger } = (await import(join(tree, 'agent/log/logger.ts'))) as typeof LoggerModule;

const log = createLogger({ level: 'info', destination: new Writable({ write: (_c, _e, cb) => cb() }) });
const sha1 = (d: string | Buffer) => createHash('sha1').update(d).digest('hex');
const out: Manifest = {};

/** Every file of the live release (following the bucket links) and the state persisted with it. */
function hashSite(outDir: string, step: string, summary: object): void {
  const m: Record<string, string> = { '(summary)': JSON.stringify(summary) };
  const walk = (dir: string, rel: string) => {
    for (const name of readdirSync(dir).sort()) {
      const full = join(dir, name);
      const r = rel ? `${rel}/${name}` : name;
      if (statSync(full).isDirectory()) walk(full, r);
      else m[r] = sha1(readFileSync(full));
    }
  };
  walk(join(outDir, 'current'), '');
  const live = readdirSync(join(outDir, 'releases')).sort().pop()!;
  if (existsSync(join(outDir, 'state', `${live}.json`))) m['(state)'] = sha1(readFileSync(join(outDir, 'state', `${live}.json`)));
  out[step] = m;
  console.error(`${step}: ${Object.keys(m).length} files`);
}

const config = { pollIntervalSeconds: 60, site: { title: 'PMI Dashboard', staleAfterIntervals: 3 } };

for (const [k, guests] of sizes.entries()) {
  const syn = await makeSynthetic(guests, { hostile: k === 0 });
  let clock = syn.now * 1000;
  const outDir = join(syn.dir, 'site');
  const mk = () => createSiteBuilder({ db: syn.store.db, log, now: () => clock, outDir, config });
  const b = mk();
  const { files: _f, ...s0 } = await b.build();
  hashSite(outDir, `syn${guests}/full`, s0);
  for (let c = 1; c <= 3; c++) {
    clock += 60_000;
    b.record(syn.cycle(clock / 1000));
    hashSite(outDir, `syn${guests}/cycle${c}`, await b.build());
  }
  await b.stop();
  const r = mk();
  clock += 60_000;
  r.record(syn.cycle(clock / 1000));
  hashSite(outDir, `syn${guests}/restart`, await r.build());
  const mem = await r.build({ toMemory: true });
  out[`syn${guests}/memory`] = Object.fromEntries([...mem.files!].map(([p, c]) => [p, sha1(c)]));
  await r.stop();
  await syn.dispose();
}

if (simDb) {
  const dir = mkdtempSync(join(tmpdir(), 'site-identical-'));
  copyFileSync(simDb, join(dir, 'pmi.sqlite'));
  const store = await openDatabase(join(dir, 'pmi.sqlite'));
  const sq = store.sqlite;
  const now = (sq.prepare('SELECT max(last_sample_ts) AS t FROM clusters').get() as { t: number }).t + 5;
  const act = sq.prepare('INSERT INTO actions (id, cluster, vmid, guest_type, node, action, params, reason, submitter, state, outcome, upid, error_code, message, received_at, posted_at, finished_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)');
  const upid = (n: number) => `UPID:c1-pve1:0000${n}A:00000000:6790A1B${n}:qmshutdown:101:root@pam:`;
  act.run('a1', 'cluster1', 101, 'qemu', 'c1-pve1', 'shutdown', '{"timeoutSeconds":120,"forceStop":true}', 'maintenance <b>', 'ops', 'done', 'succeeded', upid(1), null, `task ${upid(1)} OK`, now - 3000, now - 2990, now - 2900, now - 2900);
  act.run('a2', 'cluster1', 102, 'qemu', 'c1-pve2', 'snapshot', '{"name":"pre-upgrade","includeRam":false,"description":"a long description that goes on and on and on past forty"}', null, 'ops', 'failed', 'failed', null, 'PVE_TASK_FAILED', `(UPID: ${upid(2)}) snapshot failed: no space`, now - 2000, now - 1990, now - 1980, now - 1980);
  act.run('a3', 'cluster2', 9999, 'lxc', 'c2-pve1', 'reboot', '{"odd":[1,2]}', null, null, 'rejected', 'rejected', null, 'ACTION_NOT_ALLOWED', 'not allowed', now - 1000, null, now - 1000, now - 1000);
  act.run('a4', 'cluster2', 201, 'lxc', 'c2-pve1', 'start', null, null, 'web', 'queued', null, null, null, null, now - 30, null, null, now - 30);
  act.run('a5', 'nowhere', 5, 'qemu', 'x', 'migrate', '{"target":"pve9","online":true}', null, 'ops', 'posted', null, upid(5), null, null, now - 100, now - 90, null, now - 90);
  const pe = sq.prepare('INSERT INTO poll_errors (cluster_id, ts, node, endpoint, path, code, message) VALUES (?,?,?,?,?,?,?)');
  pe.run(1, now - 65, 'c1-pve2', 'https://127.0.0.1:8006', '/nodes/c1-pve2/status', 'PVE_UNREACHABLE', 'connect ECONNREFUSED <x>');
  pe.run(1, now - 5, 'c1-pve2', 'https://127.0.0.1:8006', '/nodes/c1-pve2/qemu', 'PVE_HTTP_595', 'no route');
  pe.run(2, now - 5, null, null, null, 'PVE_AUTH', 'token rejected');
  sq.prepare("UPDATE nodes SET status = 'offline' WHERE node = 'c2-pve3'").run();
  sq.prepare("UPDATE storages SET used = total * 0.97 WHERE node = 'c1-pve3' AND storage = 'local'").run();
  sq.prepare("UPDATE storages SET used = total * 0.9 WHERE storage = 'nas' AND cluster_id = 2 AND node = 'c2-pve2'").run();
  let clock = now * 1000;
  const outDir = join(dir, 'site');
  const mk = () => createSiteBuilder({ db: store.db, log, now: () => clock, outDir, config: { ...config, pollIntervalSeconds: 5 } });
  const b = mk();
  for (let c = 0; c < 3; c++) {
    const { files: _f, ...s } = await b.build();
    hashSite(outDir, `sim/build${c}`, s);
    clock += 5000;
  }
  await b.stop();
  const r = mk();
  hashSite(outDir, 'sim/restart', await r.build());
  const mem = await r.build({ toMemory: true });
  out['sim/memory'] = Object.fromEntries([...mem.files!].map(([p, c]) => [p, sha1(c)]));
  await r.stop();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
}

writeFileSync(outFile!, JSON.stringify(out));
