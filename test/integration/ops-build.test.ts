// `npm run build` (scripts/build.ts): the plain tsc emit production runs. One build into a private
// directory (shaped like the installed application, node_modules linked in), then: the command runs
// with plain node and no loader, no emitted module imports a .ts file, tsx or esbuild, and a worker
// thread that is an ordinary module (test/fixtures/worker) runs both from sources and from the emit.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { workerModule } from '../../agent/worker-module.ts';
import { AGENT_BIN, buildApp, ROOT } from '../../scripts/build.ts';
import { askSquare } from '../fixtures/worker/square-parent.ts';

const run = promisify(execFile);
let app: string;

const filesUnder = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.name === 'node_modules' ? [] : e.isDirectory() ? filesUnder(join(dir, e.name)) : [join(dir, e.name)]));

beforeAll(async () => {
  app = mkdtempSync(join(tmpdir(), 'pmi-build-'));
  await buildApp({ outDir: app, extraEntries: ['test/fixtures/worker/square-parent.ts', 'test/fixtures/worker/square-worker.ts'] });
  symlinkSync(join(ROOT, 'node_modules'), join(app, 'node_modules'));
}, 300_000);
afterAll(() => {
  if (app) rmSync(app, { recursive: true, force: true });
});

describe('the built application', () => {
  it('is compiled module by module, with no .ts import, no TypeScript loader and no bundler in it', () => {
    const js = filesUnder(app).filter((f) => f.endsWith('.js'));
    expect(js.map((f) => f.slice(app.length + 1))).toEqual(expect.arrayContaining([AGENT_BIN, 'agent/cli.js', 'agent/main.js', 'db/migrations/index.js', 'scripts/submit-action.js']));
    expect(filesUnder(app).filter((f) => f.endsWith('.ts'))).toEqual([]);
    // the loader entry for worker threads started from sources is not part of the application
    expect(js.some((f) => f.endsWith('worker-from-sources.js'))).toBe(false);
    for (const f of js) {
      const src = readFileSync(f, 'utf8');
      expect(src, f).not.toMatch(/from\s+['"][^'"]+\.ts['"]|import\(\s*['"][^'"]+\.ts['"]\s*\)/);
      expect(src, f).not.toMatch(/(from\s+|import\(\s*)['"](tsx|tsx\/[\w/]+|esbuild|typescript)['"]/);
    }
    expect(statSync(join(app, AGENT_BIN)).mode & 0o111).not.toBe(0);
    expect(readFileSync(join(app, AGENT_BIN), 'utf8')).toMatch(/^#!\/usr\/bin\/env node\n/);
  });

  it('carries what the agent reads at run time: templates, package.json (the version), the unit', async () => {
    const r = await run(process.execPath, [join(app, AGENT_BIN), '--version'], { timeout: 60_000 });
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(r.stdout.trim()).toBe(`pmi-agent ${pkg.version}`);
    for (const f of ['site-templates/layout-top.eta', 'site-templates/assets/site.css', 'systemd/pmi-agent.service', 'systemd/config.schema.json', 'container/Containerfile', 'package-lock.json']) expect(statSync(join(app, f)).isFile(), f).toBe(true);
  });

  it('runs a worker thread that is an ordinary module, compiled like the rest', async () => {
    const r = await run(process.execPath, [join(app, 'test/fixtures/worker/square-parent.js'), '12'], { timeout: 60_000 });
    expect(r.stdout.trim()).toBe('144');
  });
});

describe('worker modules from sources', () => {
  it('run under the TypeScript loader in their thread', async () => {
    expect(await askSquare(7)).toBe(49);
  });

  it('start the .ts file through the loader from sources, the .js file directly from the emit', () => {
    const fromSrc = workerModule('file:///app/agent/site/publish.ts', './write-worker.ts', ['x']);
    expect(fromSrc.url.href).toBe(new URL('../../agent/worker-from-sources.js', import.meta.url).href);
    expect(fromSrc.argv).toEqual(['file:///app/agent/site/write-worker.ts', 'x']);
    const built = workerModule('file:///opt/pmi-agent/agent/site/publish.js', './write-worker.ts', ['x']);
    expect(built.url.href).toBe('file:///opt/pmi-agent/agent/site/write-worker.js');
    expect(built.argv).toEqual(['x']);
    expect(() => workerModule('file:///a/b.js', 'node:fs')).toThrow(/relative path ending in \.ts/);
  });
});
