import { describe, expect, it } from 'vitest';
import { formatLogLine } from '../../scripts/demo-log.ts';

describe('the demo log format', () => {
  it('turns a pino JSON line into one readable line', () => {
    const line = JSON.stringify({ level: 30, time: Date.UTC(2026, 11, 7, 12, 1, 5), name: 'pmi-agent', module: 'alerts', rule: 'disk-failing', msg: 'alert disk-failing firing: Disk /dev/sdb' });
    expect(formatLogLine(line)).toBe('12:01:05 info  alerts   alert disk-failing firing: Disk /dev/sdb');
  });
  it('keeps the details of a warning or an error, and the error message', () => {
    const line = JSON.stringify({ level: 50, time: Date.UTC(2026, 11, 7, 0, 0, 0), module: 'poll', cluster: 'lab', err: { message: 'ECONNREFUSED' }, msg: 'poll failed' });
    expect(formatLogLine(line)).toBe('00:00:00 error poll     poll failed (ECONNREFUSED)  cluster=lab');
  });
  it('passes a line that is not JSON through', () => {
    expect(formatLogLine('plain text\n')).toBe('plain text');
  });
});
