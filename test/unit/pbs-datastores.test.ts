// PBS datastores are listed, chosen and read by one module (agent/health/pbs-datastores.ts) for the
// PBS tier and the self-check alike. Before, the check parsed the answers its own way: a groups
// answer that was not a list passed as "readable (0 backup groups)" while the agent failed on it,
// and entries the agent skips were counted.
import { describe, expect, it } from 'vitest';
import { PbsServerConfig } from '../../agent/config/config.schema.ts';
import { checkPbsServer } from '../../agent/check-config/check-pbs.ts';
import { datastoreFailure, datastoresToRead, listDatastores, readDatastoreGroups } from '../../agent/health/pbs-datastores.ts';
import { PmiError } from '../../agent/errors.ts';
import type { PveClient } from '../../agent/pve/pve-client.types.ts';

const server = PbsServerConfig.parse({ name: 'pbs1', endpoints: ['https://127.0.0.1:8007'], tokenId: 'pmi@pbs!audit', tokenSecret: 'x', tls: { insecure: true }, datastores: ['extra'] });
const group = (id: string) => ({ 'backup-type': 'vm', 'backup-id': id, 'last-backup': 1, 'backup-count': 1 });

/** A PBS answering from a table of paths; a thrown PmiError for a path mapped to an error code. */
function fakeClient(answers: Record<string, unknown>): PveClient {
  return {
    get: async (path: string) => {
      const a = answers[path];
      if (typeof a === 'string' && a.startsWith('PVE_')) throw new PmiError(a as 'PVE_FORBIDDEN', `${path}: ${a}`);
      if (a === undefined) throw new PmiError('PVE_BAD_RESPONSE', `${path}: unexpected`);
      return a;
    },
    close: async () => {},
  } as unknown as PveClient;
}

const answers = {
  '/admin/datastore': [{ store: 'main' }, { store: 'odd' }, { store: 'bad' }, { nostore: true }],
  '/admin/datastore/main/groups': [group('101'), group('102'), { 'backup-type': 'vm' }],
  '/admin/datastore/odd/groups': { not: 'a list' },
  '/admin/datastore/bad/groups': 'PVE_FORBIDDEN',
  '/admin/datastore/extra/groups': [],
};

describe('PBS datastores, one reader', () => {
  it('lists, chooses and reads like the tier does', async () => {
    const c = fakeClient(answers);
    expect(await listDatastores(c)).toEqual(['main', 'odd', 'bad']);
    expect(datastoresToRead(['main', 'odd'], ['extra', 'main'])).toEqual(['extra', 'main', 'odd']);
    expect(await readDatastoreGroups(c, 'main')).toHaveLength(2);
    await expect(readDatastoreGroups(c, 'odd')).rejects.toThrow('/admin/datastore/odd/groups: not a list');
    expect(datastoreFailure(new PmiError('PVE_FORBIDDEN', 'x'))).toBe('forbidden');
    expect(datastoreFailure(new Error('x'))).toBe('error');
  });

  it('the self-check judges each datastore as the agent reads it', async () => {
    const r = await checkPbsServer(server, 'x', () => fakeClient(answers), true);
    expect(r.datastores).toEqual([
      { store: 'bad', listed: true, state: 'forbidden' },
      { store: 'extra', listed: false, state: 'ok', groups: 0 },
      { store: 'main', listed: true, state: 'ok', groups: 2 },
      { store: 'odd', listed: true, state: 'error' },
    ]);
    expect(r.findings.map((f) => f.message)).toContain('datastore odd: not read: /admin/datastore/odd/groups: not a list');
  });
});
