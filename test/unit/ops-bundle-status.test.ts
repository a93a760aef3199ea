// agent/bin/bundle-status.js decides whether the bin runs dist/pmi-agent.js or the TypeScript
// sources: a stale bundle must never run (it would be old code), a current one must be used.
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bundleStatus } from '../../agent/bin/bundle-status.js';

let root: string;
let bundle: string;
const T = 1_764_201_600;
const at = (file: string, sec: number) => utimesSync(file, sec, sec);

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'pmi-bundle-'));
  mkdirSync(join(root, 'dist'));
  mkdirSync(join(root, 'agent'));
  writeFileSync(join(root, 'agent/cli.ts'), '');
  writeFileSync(join(root, 'package.json'), '{}');
  at(join(root, 'agent/cli.ts'), T);
  at(join(root, 'package.json'), T);
  bundle = join(root, 'dist/pmi-agent.js');
  writeFileSync(bundle, '');
  writeFileSync(join(root, 'dist/pmi-agent.inputs.json'), JSON.stringify({ inputs: ['agent/cli.ts', 'package.json'] }));
  at(bundle, T + 10);
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe('bundleStatus', () => {
  it('is current when every input is older than the bundle', () => {
    expect(bundleStatus(bundle)).toEqual({ current: true });
  });

  it('is stale when a source changed after the build', () => {
    at(join(root, 'agent/cli.ts'), T + 20);
    expect(bundleStatus(bundle)).toMatchObject({ current: false, reason: expect.stringContaining('agent/cli.ts changed') });
  });

  it('is stale when an input is gone', () => {
    rmSync(join(root, 'package.json'));
    expect(bundleStatus(bundle)).toMatchObject({ current: false, reason: expect.stringContaining('package.json') });
  });

  it('is not current without the bundle or without its inputs list', () => {
    rmSync(join(root, 'dist/pmi-agent.inputs.json'));
    expect(bundleStatus(bundle).current).toBe(false);
    rmSync(bundle);
    expect(bundleStatus(bundle)).toMatchObject({ current: false, reason: expect.stringContaining('does not exist') });
  });
});
