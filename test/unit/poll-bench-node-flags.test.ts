// The poll bench must start its poller with the node flags production uses: it reads them from
// the systemd unit's ExecStart, so a flag changed there is measured, and none is measured alone.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { productionNodeEnv, productionNodeFlags } from '../../scripts/bench/poll.bench.ts';

describe('productionNodeFlags', () => {
  it('reads the flags between node and the script from ExecStart', () => {
    expect(productionNodeFlags('[Service]\nExecStart=/usr/bin/node --a=1 --b /opt/x/bin.js run --config /etc/c.json\n')).toEqual(['--a=1', '--b']);
    expect(productionNodeFlags('ExecStart=/usr/bin/node /opt/x/bin.js run --config c\n')).toEqual([]);
  });

  it('finds the shipped unit\'s V8 heap flags', () => {
    const flags = productionNodeFlags();
    expect(flags).toContain('--max-semi-space-size=2');
    expect(flags).toContain('--heap-growing-percent=20');
    expect(flags).toContain('--v8-pool-size=1');
    expect(flags).toContain('--no-wasm-dynamic-tiering');
    expect(flags).toContain('--no-wasm-tier-up');
  });

  it('refuses a unit without ExecStart', () => {
    expect(() => productionNodeFlags('[Service]\n')).toThrow(/ExecStart/);
  });
});

describe('productionNodeEnv', () => {
  it("reads every Environment= assignment, quoted or not, the last one of a name winning", () => {
    const unit = '[Service]\nEnvironment=A=1 "B=two words"\nEnvironment=C=3\n#Environment=D=4\nEnvironment=A=5\n';
    expect(productionNodeEnv(unit)).toEqual({ A: '5', B: 'two words', C: '3' });
    expect(productionNodeEnv('[Service]\n')).toEqual({});
  });

  it("finds the shipped unit's malloc setting", () => {
    expect(productionNodeEnv()).toMatchObject({ NODE_ENV: 'production', MALLOC_MMAP_THRESHOLD_: '131072' });
  });
});

describe('the container image', () => {
  const containerfile = readFileSync(resolve(import.meta.dirname, '../../container/Containerfile'), 'utf8');

  it("starts node with the unit's flags", () => {
    const entry = JSON.parse(/^ENTRYPOINT (.*)$/m.exec(containerfile)![1]!) as string[];
    expect(entry[0]).toBe('/usr/bin/node');
    expect(entry.slice(1, -1)).toEqual(productionNodeFlags());
  });

  it("has the unit's environment", () => {
    const env = Object.fromEntries([...containerfile.matchAll(/^ENV (\S+?)=(\S+)$/gm)].map((m) => [m[1], m[2]]));
    expect(env).toMatchObject(productionNodeEnv());
  });
});

describe('the agent bench', () => {
  it("starts the whole agent with the unit's node flags and environment", async () => {
    const { agentChildSettings } = await import('../../scripts/bench/agent.bench.ts');
    expect(agentChildSettings()).toEqual({ flags: productionNodeFlags(), env: productionNodeEnv() });
    const unit = '[Service]\nExecStart=/usr/bin/node --x=1 /opt/a.js run\nEnvironment=M=2\n';
    expect(agentChildSettings(unit)).toEqual({ flags: ['--x=1'], env: { M: '2' } });
  });
});
