import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, parseCli, runCli, type CliCommands } from '../../agent/cli.ts';
import { PmiError } from '../../agent/errors.ts';

describe('parseCli', () => {
  it.each([
    [['--help'], {}, { kind: 'help' }],
    [['-h'], {}, { kind: 'help' }],
    [['run', '--help'], {}, { kind: 'help' }],
    [['--version'], {}, { kind: 'version' }],
    [['-V'], {}, { kind: 'version' }],
    [['run'], {}, { kind: 'command', command: 'run', configPath: DEFAULT_CONFIG }],
    [['once', '--config', '/x.json'], {}, { kind: 'command', command: 'once', configPath: '/x.json' }],
    [['check-config', '-c', 'y.json'], {}, { kind: 'command', command: 'check-config', configPath: 'y.json' }],
    [['check-config', '--config=z.json'], { PMI_CONFIG: '/env.json' }, { kind: 'command', command: 'check-config', configPath: 'z.json' }],
    [['run'], { PMI_CONFIG: '/env.json' }, { kind: 'command', command: 'run', configPath: '/env.json' }],
    [[], {}, { kind: 'usage-error', message: 'no command given' }],
    [['start'], {}, { kind: 'usage-error', message: 'unknown command "start"' }],
    [['run', 'extra'], {}, { kind: 'usage-error', message: 'unexpected argument "extra"' }],
  ])('%j %j', (argv, env, expected) => {
    expect(parseCli(argv, env)).toEqual(expected);
  });

  it.each([[['run', '--frob']], [['run', '--config']]])('%j is a usage error', (argv) => {
    expect(parseCli(argv, {}).kind).toBe('usage-error');
  });
});

function harness(commands: Partial<CliCommands> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const calls: string[] = [];
  const cmds: CliCommands = {
    run: async (p) => (calls.push(`run ${p}`), 0),
    once: async (p) => (calls.push(`once ${p}`), 0),
    checkConfig: async (p) => (calls.push(`check ${p}`), 0),
    health: async (p) => (calls.push(`health ${p}`), 1),
    version: () => '9.9.9',
    ...commands,
  };
  const io = { stdout: (t: string) => out.push(t), stderr: (t: string) => err.push(t), env: {} };
  return { run: (argv: string[]) => runCli(argv, io, cmds), out, err, calls };
}

describe('runCli', () => {
  it('prints help on stdout and exits 0', async () => {
    const h = harness();
    expect(await h.run(['--help'])).toBe(0);
    expect(h.out.join('')).toContain('Usage: pmi-agent <command>');
    expect(h.err).toEqual([]);
  });

  it('prints the version', async () => {
    const h = harness();
    expect(await h.run(['--version'])).toBe(0);
    expect(h.out.join('')).toBe('pmi-agent 9.9.9\n');
  });

  it('an unknown command prints the reason and usage on stderr and exits 2', async () => {
    const h = harness();
    expect(await h.run(['frob'])).toBe(2);
    expect(h.err.join('')).toMatch(/^pmi-agent: unknown command "frob"\n\nUsage:/);
    expect(h.calls).toEqual([]);
  });

  it('dispatches commands with the config path and returns their exit code', async () => {
    const h = harness({ once: async () => 1 });
    expect(await h.run(['run', '-c', '/a.json'])).toBe(0);
    expect(await h.run(['check-config'])).toBe(0);
    expect(await h.run(['once'])).toBe(1);
    expect(h.calls).toEqual(['run /a.json', `check ${DEFAULT_CONFIG}`]);
  });

  it('maps a thrown config error to 78 and anything else to 1, with the message on stderr', async () => {
    const bad = harness({ run: async () => { throw new PmiError('CONFIG_INVALID', 'config.json: 2 problems'); } });
    expect(await bad.run(['run'])).toBe(78);
    expect(bad.err.join('')).toBe('pmi-agent: config.json: 2 problems\n');
    const secret = harness({ run: async () => { throw new PmiError('SECRET_INSECURE', 'mode 0644'); } });
    expect(await secret.run(['run'])).toBe(78);
    const crash = harness({ run: async () => { throw new Error('boom'); } });
    expect(await crash.run(['run'])).toBe(1);
    expect(crash.err.join('')).toContain('run failed: Error: boom');
  });
});

describe('the real version', () => {
  it('comes from package.json', async () => {
    const { defaultCommands } = await import('../../agent/cli.ts');
    const { createRequire } = await import('node:module');
    const pkg = createRequire(import.meta.url)('../../package.json') as { version: string };
    expect(defaultCommands.version()).toBe(pkg.version);
  });
});
