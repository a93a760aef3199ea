// The poll bench must start its poller with the node flags production uses: it reads them from
// the systemd unit's ExecStart, so a flag changed there is measured, and none is measured alone.
import { describe, expect, it } from 'vitest';
import { productionNodeFlags } from '../../scripts/bench/poll.bench.ts';

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
  });

  it('refuses a unit without ExecStart', () => {
    expect(() => productionNodeFlags('[Service]\n')).toThrow(/ExecStart/);
  });
});
