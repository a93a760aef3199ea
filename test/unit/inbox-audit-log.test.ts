import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { createAuditLog } from '../../agent/inbox/audit-log.ts';

describe('createAuditLog', () => {
  it('writes audit lines to a pino-roll file when log.auditFile is set', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pmi-audit-'));
    const { audit, close } = await createAuditLog({ level: 'info', auditFile: { path: join(dir, 'audit.log'), frequency: 'daily', keep: 3 } }, pino({ level: 'silent' }));
    audit.info({ event: 'accepted', id: 'a1' }, 'action accepted');
    await close();
    const files = await readdir(dir);
    expect(files.length).toBe(1);
    expect(files[0]).toMatch(/^audit\..*log$/);
    const line = JSON.parse((await readFile(join(dir, files[0]!), 'utf8')).trim()) as Record<string, unknown>;
    expect(line).toMatchObject({ audit: true, event: 'accepted', id: 'a1', msg: 'action accepted' });
  });

  it('falls back to a child of the main log marked audit: true', async () => {
    const lines: string[] = [];
    const main = pino({ level: 'info' }, { write: (s: string) => void lines.push(s) });
    const { audit } = await createAuditLog(undefined, main);
    audit.info({ event: 'rejected' }, 'x');
    expect(JSON.parse(lines[0]!)).toMatchObject({ audit: true, event: 'rejected' });
  });
});
