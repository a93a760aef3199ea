import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LogConfig } from '../../agent/config/config.schema.ts';
import { createAgentLoggers, rollOptions } from '../../agent/log/log-files.ts';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ops-logs-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function sink(): { stream: Writable; lines: () => Record<string, unknown>[] } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      chunks.push(chunk.toString());
      cb();
    },
  });
  return { stream, lines: () => chunks.join('').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>) };
}

const today = new Date().toISOString().slice(0, 10);

describe('rollOptions', () => {
  it.each([
    [{ path: '/var/log/pmi-agent/agent' }, { file: '/var/log/pmi-agent/agent', frequency: 'daily', dateFormat: 'yyyy-MM-dd', limit: { count: 14, removeOtherLogFiles: true }, mkdir: true }],
    [{ path: '/l/a', frequency: 'hourly', keep: 48 }, { file: '/l/a', frequency: 'hourly', dateFormat: 'yyyy-MM-dd-HH', limit: { count: 48, removeOtherLogFiles: true }, mkdir: true }],
    [{ path: '/l/a', frequency: 60_000, size: '10m', keep: 3 }, { file: '/l/a', frequency: 60_000, size: '10m', limit: { count: 3, removeOtherLogFiles: true }, mkdir: true }],
  ])('%j', (file, expected) => {
    const cfg = LogConfig.parse({ file });
    expect(rollOptions(cfg.file!)).toEqual(expected);
  });
});

describe('createAgentLoggers', () => {
  it('writes stdout only when no file is configured', async () => {
    const out = sink();
    const loggers = await createAgentLoggers(LogConfig.parse({}), { stdout: out.stream });
    loggers.log.child({ module: 'poll' }).info('hello');
    loggers.auditLog.info({ action: 'start' }, 'audited');
    await loggers.close();
    await new Promise((r) => setImmediate(r));
    expect(out.lines().map((l) => [l.module, l.audit, l.msg])).toEqual([['poll', undefined, 'hello'], [undefined, true, 'audited']]);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('writes the app log and the audit log to separate daily files as well as stdout', async () => {
    const out = sink();
    const cfg = LogConfig.parse({ level: 'debug', file: { path: join(dir, 'app', 'agent') }, auditFile: { path: join(dir, 'audit', 'audit') } });
    const loggers = await createAgentLoggers(cfg, { stdout: out.stream });
    loggers.log.child({ module: 'site' }).debug('built');
    loggers.auditLog.info({ action: 'stop', vmid: 100 }, 'action done');
    await loggers.close();
    expect(readdirSync(join(dir, 'app'))).toEqual([`agent.${today}.1.log`]);
    expect(readdirSync(join(dir, 'audit'))).toEqual([`audit.${today}.1.log`]);
    const app = JSON.parse(readFileSync(join(dir, 'app', `agent.${today}.1.log`), 'utf8')) as Record<string, unknown>;
    expect(app).toMatchObject({ module: 'site', msg: 'built', level: 'debug' });
    const audit = JSON.parse(readFileSync(join(dir, 'audit', `audit.${today}.1.log`), 'utf8')) as Record<string, unknown>;
    expect(audit).toMatchObject({ audit: true, action: 'stop', vmid: 100 });
    expect(out.lines()).toHaveLength(2);
  });

  it('rotates by size and keeps only the configured number of files', async () => {
    const out = sink();
    const cfg = LogConfig.parse({ file: { path: join(dir, 'agent'), frequency: 3_600_000, size: '1k', keep: 3 } });
    const loggers = await createAgentLoggers(cfg, { stdout: out.stream });
    const line = 'x'.repeat(300);
    for (let i = 0; i < 40; i++) {
      loggers.log.info({ i }, line);
      await new Promise((r) => setTimeout(r, 5));
    }
    await loggers.close();
    await new Promise((r) => setTimeout(r, 100));
    const files = readdirSync(dir).sort((a, b) => Number(a.split('.')[1]) - Number(b.split('.')[1]));
    expect(files.length).toBeGreaterThanOrEqual(2);
    // keep = rotated files kept besides the active one.
    expect(files.length).toBeLessThanOrEqual(4);
    // The newest numbers survive: rotation happened many times and old files were pruned.
    expect(Number(files.at(-1)!.split('.')[1])).toBeGreaterThan(5);
    const last = readFileSync(join(dir, files.at(-1)!), 'utf8').trim().split('\n').at(-1)!;
    expect((JSON.parse(last) as { i: number }).i).toBe(39);
  });
});
