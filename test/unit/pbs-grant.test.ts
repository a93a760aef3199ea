// check-config prints the PBS grant line from pbsGrant(); the agent page shows v_pbs_coverage's
// grant_command, which SQL builds itself (migration 0067). Both must read the same.
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openTestStore, type TestStore } from '../support/store-backends.ts';
import { writePbsStore } from '../../agent/store/pbs.repository.ts';
import { pbsGrant } from '../../agent/health/pbs-privileges.ts';

describe('pbsGrant', () => {
  let store: TestStore;
  beforeEach(async () => {
    store = await openTestStore('sqlite');
  });
  afterEach(async () => store.close());

  it('is the line v_pbs_coverage shows for a forbidden datastore', async () => {
    await writePbsStore(store.db, { server: 'pbs1', store: 'secret', tokenId: 'pmi@pbs!monitor', ts: 1000, state: 'forbidden', message: '403' });
    const rows = (await sql.raw('select grant_command from v_pbs_coverage').execute(store.db)).rows as Array<{ grant_command: string }>;
    expect(rows).toEqual([{ grant_command: pbsGrant('secret', 'pmi@pbs!monitor') }]);
    expect(pbsGrant('secret', 'pmi@pbs!monitor')).toBe("proxmox-backup-manager acl update /datastore/secret DatastoreAudit --auth-id 'pmi@pbs!monitor'");
  });
});
