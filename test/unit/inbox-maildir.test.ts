import { lutimes, mkdir, mkdtemp, readdir, readFile, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { claim, cleanTmp, openMaildir, originalName, printableName, resultName, safeBase, writeResultFile } from '../../agent/inbox/maildir.ts';
import { createUserLookup, groupsOf, parseGroup, parsePasswd } from '../../agent/inbox/submitter.ts';

const fresh = async () => (await openMaildir(join(await mkdtemp(join(tmpdir(), 'pmi-md-')), 'inbox'))).md;

describe('maildir', () => {
  it('creates the folders (tmp/ and new/ sticky, .staging/ private), claims by rename and loses a race quietly', async () => {
    const md = await fresh();
    expect((await readdir(md.root)).sort()).toEqual(['.staging', 'cur', 'done', 'failed', 'new', 'rejected', 'tmp']);
    expect((await stat(md.path('new'))).mode & 0o1000).toBe(0o1000);
    expect((await stat(md.path('tmp'))).mode & 0o1000).toBe(0o1000);
    expect((await stat(md.path('.staging'))).mode & 0o777).toBe(0o700);
    await writeFile(md.path('new', 'a.json'), '{}');
    const got = await claim(md, { raw: Buffer.from('a.json'), name: 'a.json' }, 1700000000000, 7);
    expect(got).toEqual({ ok: true, cur: '1700000000000.7.a.json' });
    expect(originalName('1700000000000.7.a.json')).toBe('a.json');
    expect(await claim(md, { raw: Buffer.from('a.json'), name: 'a.json' }, 1700000000001, 8)).toEqual({ ok: false, gone: true });
  });

  it('writes results atomically, never overwrites one, and finds a free name in one step per duplicate', async () => {
    const md = await fresh();
    const n1 = await resultName(md, 'rejected', 'x', '1.1');
    await writeResultFile(md, 'rejected', n1.name, { a: 1 });
    const n2 = await resultName(md, 'rejected', 'x', '1.2');
    expect([n1.name, n2.name]).toEqual(['x.json', 'x~1.2.json']);
    expect(JSON.parse(await readFile(md.path('rejected', 'x.json'), 'utf8'))).toEqual({ a: 1 });
    expect(await writeResultFile(md, 'rejected', 'x.json', { a: 2 })).toBe(false);
    expect(JSON.parse(await readFile(md.path('rejected', 'x.json'), 'utf8'))).toEqual({ a: 1 });
    expect(await readdir(md.path('tmp'))).toEqual([]);
    expect(await readdir(md.path('.staging'))).toEqual([]);
  });

  it('removes tmp/ leftovers older than the limit only, never recursively', async () => {
    const md = await fresh();
    await writeFile(md.path('tmp', 'old'), '');
    await writeFile(md.path('tmp', 'young'), '');
    await mkdir(md.path('tmp', 'olddir'));
    await writeFile(join(md.path('tmp'), 'olddir', 'keep'), '');
    await symlink('/etc', md.path('tmp', 'oldlink'));
    const now = Date.now();
    const old = new Date(now - 37 * 3600e3);
    for (const n of ['old', 'olddir']) await utimes(md.path('tmp', n), old, old);
    await lutimes(md.path('tmp', 'oldlink'), old, old);
    expect(await cleanTmp(md, now, 36 * 3600e3)).toBe(2);
    expect((await readdir(md.path('tmp'))).sort()).toEqual(['olddir', 'young']);
    expect(await readdir(join(md.path('tmp'), 'olddir'))).toEqual(['keep']);
  });

  it('prints undecodable names', () => {
    expect(printableName(Buffer.from([0x61, 0xff, 0x62]))).toEqual({ name: 'a?b', valid: false });
    expect(printableName(Buffer.from('ü\n.json'))).toEqual({ name: 'ü?.json', valid: true });
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

describe('parsePasswd / parseGroup', () => {
  it('maps uids to names', () => {
    const m = parsePasswd('root:x:0:0:root:/root:/bin/bash\n# c\nalice:x:1000:1000::/home/alice:/bin/sh\nbroken\n');
    expect([...m]).toEqual([[0, 'root'], [1000, 'alice']]);
  });
  it('gives a user its primary and supplementary groups', () => {
    const groups = parseGroup('alice:x:1000:\nops:x:2000:bob,alice\ndev:x:2001:bob\n');
    expect(groupsOf('alice', 1000, groups)).toEqual({ gids: [1000, 2000], groups: ['alice', 'ops'] });
  });
});

describe('createUserLookup: users the files do not know come from NSS', () => {
  // Files that know nobody stand in for an LDAP/SSSD user: getent and id answer from the system's NSS.
  const empty = join(mkdtempSync(join(tmpdir(), 'nss-')), 'empty');
  writeFileSync(empty, '');
  it('names the uid and its groups through getent and id', () => {
    const lookup = createUserLookup({ passwdFile: empty, groupFile: empty, now: () => 0 });
    const root = lookup(0);
    expect(root.user).toBe('root');
    expect(root.gids).toContain(0);
    expect(root.groups).toContain('root');
    expect(lookup.groupId('root')).toBe(0);
  });
  it('says unknown for a uid nobody knows, and NSS can be switched off', () => {
    const lookup = createUserLookup({ passwdFile: empty, groupFile: empty, now: () => 0 });
    expect(lookup(4_000_000_123)).toEqual({ uid: 4_000_000_123, user: null, gids: [], groups: [] });
    expect(createUserLookup({ passwdFile: empty, groupFile: empty, now: () => 0, nss: null })(0).user).toBeNull();
  });
});
