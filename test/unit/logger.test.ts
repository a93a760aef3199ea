import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, maskSecrets } from '../../agent/log/logger.ts';

function capture(secrets?: string[]) {
  const lines: string[] = [];
  const destination = new Writable({ write(chunk, _e, cb) { lines.push(String(chunk)); cb(); } });
  const log = createLogger({ destination, ...(secrets && { secrets: () => secrets }) });
  return { lines, log };
}

describe('logger', () => {
  it('writes JSON lines with a textual level', () => {
    const { lines, log } = capture();
    log.child({ module: 'poll' }).info({ cluster: 'lab' }, 'hello');
    const o = JSON.parse(lines[0]!);
    expect(o).toMatchObject({ level: 'info', module: 'poll', cluster: 'lab', msg: 'hello', name: 'pmi-agent' });
  });

  it('redacts token secrets and authorization headers by path', () => {
    const { lines, log } = capture();
    log.info({ tokenSecret: 's3cr3t-1', headers: { authorization: 'PVEAPIToken=a@b!c=s3cr3t-2' }, cluster: { tokenSecret: 's3cr3t-3' } }, 'x');
    expect(lines.join('')).not.toMatch(/s3cr3t/);
    expect(lines.join('')).toContain('[redacted]');
  });

  it('masks a known secret that slipped into a message string', () => {
    const { lines, log } = capture(['5e0f1c2a-0000-4000-8000-abcdefabcdef']);
    log.warn('request with PVEAPIToken=pmi@pve!agent=5e0f1c2a-0000-4000-8000-abcdefabcdef failed');
    expect(lines.join('')).not.toContain('5e0f1c2a-0000');
    expect(lines.join('')).toContain('[redacted]');
  });

  it('masks a known secret inside error objects and nested fields too', () => {
    const secret = '5e0f1c2a-1111-4000-8000-abcdefabcdef';
    const { lines, log } = capture([secret]);
    log.error({ err: new Error(`bad ${secret}`, { cause: new Error(`inner ${secret}`) }) }, 'failed');
    log.warn({ err: `plain ${secret}`, details: { reason: [`deep ${secret}`] } }, 'x');
    const text = lines.join('');
    expect(text).not.toContain('5e0f1c2a-1111');
    expect(JSON.parse(lines[0]!).err.message).toBe('bad [redacted]: inner [redacted]');
  });

  it('maskSecrets ignores very short strings that would mangle text', () => {
    expect(maskSecrets('a b c', ['a'])).toBe('a b c');
    expect(maskSecrets('x secret x', ['secret'])).toBe('x [redacted] x');
  });
});
