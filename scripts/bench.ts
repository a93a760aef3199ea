// The project's benchmark: `npm run bench [-- --json] [--only poll,store,site,inbox,agent,metrics,alerts,scale] [--quick]`.
// Each part lives in scripts/bench/<part>.bench.ts and measures for real on this machine; this
// file only runs them, prints a human table per part and, with --json, one JSON object as the
// last line of stdout.
import { spawnSync } from 'node:child_process';
import { mkdirSync, statfsSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';

const PARTS = ['poll', 'store', 'site', 'inbox', 'agent', 'metrics', 'alerts', 'scale'] as const; // scale: leases (#17)
type Part = (typeof PARTS)[number];

interface BenchModule {
  run(opts: { quick?: boolean; log: (line: string) => void }): Promise<unknown>;
  table(result: unknown): string;
}

const { values } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    only: { type: 'string' },
    quick: { type: 'boolean', default: false },
    dir: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});

if (values.help) {
  console.log('usage: npm run bench [-- --json] [--only poll,store,site,inbox,agent,metrics,alerts,scale] [--quick] [--dir DIR]');
  console.log('  --dir  where databases and sites are built (default var/bench in the checkout: on the');
  console.log('         disk, like /var/lib/pmi-dashboard; /tmp may be tmpfs or, as on one test VM, an');
  console.log('         unrepresentatively slow directory)');
  process.exit(0);
}

const only = values.only ? values.only.split(',').map((s) => s.trim()) : [...PARTS];
const unknown = only.filter((p) => !PARTS.includes(p as Part));
if (unknown.length) {
  console.error(`bench: unknown part(s) ${unknown.join(', ')}; choose from ${PARTS.join(', ')}`);
  process.exit(2);
}

// Progress goes to stderr so that, with --json, stdout stays the table plus one JSON line.
const log = (line: string) => process.stderr.write(`[bench] ${line}\n`);
const machine = {
  date: new Date().toISOString(),
  cpu: cpus()[0]?.model ?? 'unknown',
  cores: cpus().length,
  memGiB: Math.round(totalmem() / 2 ** 30),
  node: process.version,
  platform: `${process.platform}-${process.arch}`,
};

// Databases and sites are built on a real disk, where the agent keeps its data, not in /tmp:
// on Debian 13 /tmp is a tmpfs (flattering), and on this VM's ext4 creating a file under /tmp
// measured 20x slower than under /var/lib (0.6 ms vs 0.03 ms), which no installation sees.
const workDir = resolve(values.dir ?? resolve(import.meta.dirname, '..', 'var', 'bench'));
mkdirSync(workDir, { recursive: true });
// ext4 places each new subdirectory of a "top directory" (chattr +T) in a little-used block group
// instead of next to its parent: every run's directories then start away from the inodes earlier
// runs deleted, which on a journal-less ext4 make file creation slow for minutes (see
// agent/site/publish.ts). Best effort: other file systems have no such flag.
const spread = spawnSync('chattr', ['+T', workDir], { stdio: 'ignore' }).status === 0;
// Every part makes its temporary directories with os.tmpdir() (child processes inherit it).
process.env.TMPDIR = workDir;
const FS_TYPES: Record<number, string> = { 0xef53: 'ext4', 0x01021994: 'tmpfs', 0x58465342: 'xfs', 0x9123683e: 'btrfs', 0x794c7630: 'overlayfs', 0x2fc12fc1: 'zfs' };
const fsMagic = Number(statfsSync(workDir).type);
const disk = { workDir, fs: FS_TYPES[fsMagic] ?? `0x${fsMagic.toString(16)}`, topDir: spread };

const out: Record<string, unknown> = { machine, disk };
let failed = false;
for (const part of only as Part[]) {
  const file = resolve(import.meta.dirname, 'bench', `${part}.bench.ts`);
  log(`${part}: starting`);
  try {
    const mod = (await import(pathToFileURL(file).href)) as BenchModule;
    const result = await mod.run({ quick: values.quick, log: (l) => log(`${part}: ${l}`) });
    out[part] = result;
    console.log(`\n## ${part}\n${mod.table(result)}`);
  } catch (err) {
    failed = true;
    out[part] = { error: err instanceof Error ? err.message : String(err) };
    console.log(`\n## ${part}\nFAILED: ${err instanceof Error ? err.stack : String(err)}`);
  }
}
console.log(`\nmachine: ${machine.cpu}, ${machine.cores} cores, ${machine.memGiB} GiB, Node ${machine.node}, ${machine.date}; work dir ${disk.workDir} (${disk.fs})`);
if (values.json) console.log(JSON.stringify(out));
process.exit(failed ? 1 : 0);
