import { mkdtemp, readdir, readFile, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { claim, cleanTmp, openMaildir, originalName, resultName, safeBase, writeResultFile } from '../../agent/inbox/maildir.ts';
import { parsePasswd } from '../../agent/inbox/submitter.ts';

describe('maildir', () => {
  it('creates the folders, claims by rename and loses a race quietly', async () => {
    const md = await openMaildir(join(await mkdtemp(join(tmpdir(), 'pmi-md-')), 'inbox'));
    expect((await readdir(md.root)).sort()).toEqual(['cur', 'done', 'failed', 'new', 'rejected', 'tmp']);
    await writeFile(md.path('new', 'a.json'), '{}');
    const cur = await claim(md, 'a.json', 1700000000000, 7);
    expect(cur).toBe('1700000000000.7.a.json');
    expect(originalName(cur!)).toBe('a.json');
    expect(await claim(md, 'a.json', 1700000000001, 8)).toBeUndefined();
  });

  it('writes results atomically and never overwrites one', async () => {
    const md = await openMaildir(join(await mkdtemp(join(tmpdir(), 'pmi-md-')), 'inbox'));
    const n1 = await resultName(md, 'rejected', 'x');
    await writeResultFile(md, 'rejected', n1, { a: 1 });
    const n2 = await resultName(md, 'rejected', 'x');
    expect([n1, n2]).toEqual(['x.json', 'x~2.json']);
    expect(JSON.parse(await readFile(md.path('rejected', 'x.json'), 'utf8'))).toEqual({ a: 1 });
    expect(await writeResultFile(md, 'rejected', 'x.json', { a: 2 })).toBe(false);
    expect(JSON.parse(await readFile(md.path('rejected', 'x.json'), 'utf8'))).toEqual({ a: 1 });
    expect(await readdir(md.path('tmp'))).toEqual([]);
  });

  it('removes tmp/ leftovers older than the limit only', async () => {
    const md = await openMaildir(join(await mkdtemp(join(tmpdir(), 'pmi-md-')), 'inbox'));
    await writeFile(md.path('tmp', 'old'), '');
    await writeFile(md.path('tmp', 'young'), '');
    const now = Date.now();
    await utimes(md.path('tmp', 'old'), new Date(now - 37 * 3600e3), new Date(now - 37 * 3600e3));
    expect(await cleanTmp(md, now, 36 * 3600e3)).toBe(1);
    expect(await readdir(md.path('tmp'))).toEqual(['young']);
  });

  it.each([
    ['_1.2.ünï cödé/名.json', /^_1\.2\.uni_code_/],
    ['_1.2.' + 'x'.repeat(300), /^_1\.2\.x+$/],
  ])('safeBase(%j) is file-name safe', (id, re) => {
    const b = safeBase(id);
    expect(b).toMatch(re);
    expect(b).toMatch(/^[A-Za-z0-9._-]{1,200}$/);
  });
});

describe('parsePasswd', () => {
  it('maps uids to names', () => {
    const m = parsePasswd('root:x:0:0:root:/root:/bin/bash\n# c\nalice:x:1000:1000::/home/alice:/bin/sh\nbroken\n');
    expect([...m]).toEqual([[0, 'root'], [1000, 'alice']]);
  });
});
