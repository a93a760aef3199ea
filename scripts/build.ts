// `npm run build`: compiles the application with plain tsc (tsconfig.build.json) into dist/, a
// complete application directory that production runs with plain node — the same modules the
// tests run under tsx, one file per source file, no bundler and no text rewriting: TypeScript's
// rewriteRelativeImportExtensions turns `./x.ts` imports into `./x.js`. dist/ mirrors the checkout
// (dist/agent, dist/db, dist/site-templates, dist/package.json …), so paths computed from
// import.meta.url (templates, package.json, worker modules) resolve the same in both.
// scripts/install.sh and the container image install dist/ and then `npm ci --omit=dev` in it.
//   npm run build                     → dist/
//   tsx scripts/build.ts --out DIR    → DIR (tests and benches build a private copy)
import { execFile } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { parseArgs, promisify } from 'node:util';

export const ROOT = resolve(import.meta.dirname, '..');
export const DIST = join(ROOT, 'dist');
/** The command the unit starts, inside an application directory. */
export const AGENT_BIN = 'agent/bin/pmi-agent.js';

/**
 * What the application reads at run time besides its compiled modules (copied as they are), plus
 * what the installer and the operator need next to it. Paths relative to the checkout.
 */
export const RUNTIME_FILES = [
  'site-templates',
  'systemd',
  'container',
  'db/README.md',
  'db/queries',
  // alert rules (read by path) and the rule reader's child process (plain CommonJS, run by path)
  'agent/alerts/pack',
  'agent/alerts/README.md',
  'agent/store/rule-reader-child.cjs',
  'scripts/install.sh',
  'package.json',
  'package-lock.json',
  'README.md',
  'CHANGELOG.md',
] as const;

export interface BuildResult {
  outDir: string;
  /** Compiled modules written. */
  modules: number;
  ms: number;
}

const countJs = (dir: string): number =>
  readdirSync(dir, { withFileTypes: true }).reduce((n, e) => n + (e.isDirectory() ? countJs(join(dir, e.name)) : e.name.endsWith('.js') ? 1 : 0), 0);

/**
 * Builds the application into `outDir` (default dist/, emptied first so no module of a deleted
 * source survives). `extraEntries`: more source files to compile with it (a bench's child process),
 * each emitted at its place in the mirrored tree. Fails with tsc's own diagnostics.
 */
export async function buildApp(opts: { outDir?: string; extraEntries?: string[] } = {}): Promise<BuildResult> {
  const t0 = performance.now();
  const outDir = resolve(opts.outDir ?? DIST);
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  let project = join(ROOT, 'tsconfig.build.json');
  let tmp: string | undefined;
  if (opts.extraEntries?.length) {
    // `include` cannot be extended from the command line; a throw-away project that extends the
    // build config keeps its options and rootDir (resolved against the base config's folder).
    tmp = mkdtempSync(join(tmpdir(), 'pmi-build-'));
    project = join(tmp, 'tsconfig.json');
    const base = JSON.parse(readFileSync(join(ROOT, 'tsconfig.build.json'), 'utf8')) as { include: string[] };
    const include = [...base.include.map((p) => join(ROOT, p)), ...opts.extraEntries.map((p) => resolve(ROOT, p))];
    // type packages are looked up from the project's folder: point them at the checkout's
    writeFileSync(project, JSON.stringify({ extends: join(ROOT, 'tsconfig.build.json'), compilerOptions: { typeRoots: [join(ROOT, 'node_modules/@types')] }, include }));
  }
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  try {
    await promisify(execFile)(process.execPath, [tsc, '-p', project, '--outDir', outDir], { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 });
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string; message: string };
    throw new Error(`tsc failed: ${`${err.stdout ?? ''}${err.stderr ?? ''}`.trim() || err.message}`, { cause: e });
  } finally {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  }
  for (const p of RUNTIME_FILES) {
    if (existsSync(join(ROOT, p))) cpSync(join(ROOT, p), join(outDir, p), { recursive: true, preserveTimestamps: false });
  }
  // tsc writes 0644; the bin is started directly (shebang) through /usr/local/bin/pmi-agent
  chmodSync(join(outDir, AGENT_BIN), 0o755);
  chmodSync(join(outDir, 'scripts/install.sh'), statSync(join(ROOT, 'scripts/install.sh')).mode & 0o777);
  return { outDir, modules: countJs(join(outDir, 'agent')) + countJs(join(outDir, 'db')), ms: performance.now() - t0 };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({ options: { out: { type: 'string' } } });
  const r = await buildApp({ outDir: values.out });
  process.stdout.write(`built ${relative(process.cwd(), r.outDir) || '.'}: ${r.modules} modules in ${Math.round(r.ms)} ms\n`);
}
