// `npm run build`: bundles the agent (agent/cli.ts and everything it imports, migrations included
// through db/migrations/index.ts) into dist/pmi-agent.js, plain ESM JavaScript that `node` runs
// without tsx. Why: tsx's loader costs ~55 MB of RSS in the long-running agent (measured: the same
// modules use 139 MB under tsx, 85 MB bundled). npm packages stay external (node_modules), so the
// bundle holds only our own code. agent/bin/pmi-agent.js runs the bundle when it is current and
// falls back to tsx otherwise (see there); `npm run build -- --check` exits 1 when it is stale.
import { build, type Plugin } from 'esbuild';
import { readFileSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';

export const ROOT = resolve(import.meta.dirname, '..');
export const DIST = join(ROOT, 'dist');
/** The production bundle. */
export const AGENT_BUNDLE = join(DIST, 'pmi-agent.js');
/** The source files the bundle was built from (repo-relative), for the freshness check. */
/** The name the in-memory entry module has in esbuild's metafile (not a file: not an input to stat). */
const STDIN_NAME = '<entry>';
export const inputsFileOf = (bundle: string): string => bundle.replace(/\.js$/, '.inputs.json');

/**
 * Keeps `import.meta.url` / `import.meta.dirname` meaning "this source file" inside the bundle, so
 * paths computed from them (site-templates/, package.json, createRequire) resolve as under tsx.
 * The bundle therefore has to stay where it was built relative to the sources (dist/ in the app).
 */
function sourceLocation(outDir: string): Plugin {
  return {
    name: 'source-import-meta',
    setup(b) {
      b.onLoad({ filter: /\.ts$/ }, (args) => {
        const src = readFileSync(args.path, 'utf8');
        if (!src.includes('import.meta')) return { contents: src, loader: 'ts' };
        const rel = relative(outDir, args.path).split('\\').join('/');
        const url = `new URL(${JSON.stringify(rel)}, import.meta.url).href`;
        // helpers imported under private names (imports are hoisted; no top-level await needed)
        const head = "import { fileURLToPath as __pmiToPath } from 'node:url'; import { dirname as __pmiDirname } from 'node:path';\n";
        const contents =
          head +
          src
            .replaceAll('import.meta.url', `(${url})`)
            .replaceAll('import.meta.dirname', `__pmiDirname(__pmiToPath(${url}))`)
            .replaceAll('import.meta.filename', `__pmiToPath(${url})`);
        return { contents, loader: 'ts' };
      });
    },
  };
}

export interface BundleResult {
  outfile: string;
  bytes: number;
  inputs: string[];
  ms: number;
}

/**
 * Bundles one entry module into one ESM file for Node 20, packages external. The poll bench
 * builds its child with this same function, so it measures the code as production runs it.
 * `entryCode`: entry module text instead of a file (resolved from the repo root).
 */
export async function bundle(opts: { entry?: string; entryCode?: string; outfile: string }): Promise<BundleResult> {
  const t0 = performance.now();
  const outDir = dirname(opts.outfile);
  mkdirSync(outDir, { recursive: true });
  const r = await build({
    ...(opts.entryCode !== undefined ? { stdin: { contents: opts.entryCode, resolveDir: ROOT, sourcefile: STDIN_NAME, loader: 'ts' } } : { entryPoints: [opts.entry!] }),
    outfile: opts.outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    // readable stack traces in the journal, without a source map to ship
    minify: false,
    sourcemap: false,
    legalComments: 'none',
    metafile: true,
    logLevel: 'warning',
    plugins: [sourceLocation(outDir)],
    banner: { js: '// Built by scripts/build.ts from the TypeScript sources; do not edit. Rebuild: npm run build' },
  });
  const inputs = Object.keys(r.metafile.inputs)
    .filter((p) => p !== STDIN_NAME)
    .map((p) => relative(ROOT, resolve(ROOT, p)).split('\\').join('/'))
    .sort();
  // package.json is read at run time (the version), so a version bump also makes the bundle stale
  const all = [...new Set([...inputs, 'package.json'])];
  writeFileSync(inputsFileOf(opts.outfile), `${JSON.stringify({ inputs: all }, null, 1)}\n`);
  return { outfile: opts.outfile, bytes: statSync(opts.outfile).size, inputs: all, ms: performance.now() - t0 };
}

/** The production entry: runs the CLI with the process arguments (like `tsx agent/cli.ts`). */
export const AGENT_ENTRY = `import { main } from './agent/cli.ts';\nprocess.exitCode = await main(process.argv.slice(2));\n`;

/** Builds dist/pmi-agent.js. */
export function buildAgent(): Promise<BundleResult> {
  return bundle({ entryCode: AGENT_ENTRY, outfile: AGENT_BUNDLE });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({ options: { check: { type: 'boolean', default: false } } });
  if (values.check) {
    // the same test the bin applies (plain JS, shared)
    const { bundleStatus } = await import('../agent/bin/bundle-status.js');
    const s = bundleStatus(AGENT_BUNDLE);
    process.stdout.write(`${s.current ? 'current' : `stale: ${s.reason}`}\n`);
    process.exitCode = s.current ? 0 : 1;
  } else {
    const r = await buildAgent();
    process.stdout.write(`built ${relative(ROOT, r.outfile)}: ${Math.round(r.bytes / 1024)} KiB from ${r.inputs.length} files in ${Math.round(r.ms)} ms\n`);
  }
}
