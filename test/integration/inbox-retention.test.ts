// actions.retentionDays: finished rows and their result files older than the cut-off are pruned in
// batches; younger ones and unfinished rows stay. Real SQLite, real files.
import { readdir, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { inboxDb } from '../../agent/inbox/action.repository.ts';
import { openMaildir } from '../../agent/inbox/maildir.ts';
import { PRUNE_BATCH, pruneActions } from '../../agent/inbox/prune-actions.ts';
import { ActionsConfig } from '../../agent/config/config.schema.ts';
import { openTestDb, tempDir } from './inbox-harness.ts';

const closers: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const c of closers) await c();
});

describe('action retention', () => {
  it('defaults to 90 days', () => {
    expect(ActionsConfig.parse({}).retentionDays).toBe(90);
  });

  it('prunes finished rows and their result files older than retentionDays, in batches, and old orphan results', async () => {
    const root = await tempDir('pmi-retention-');
    const store = await openTestDb(root);
    closers.push(() => store.close());
    const db = inboxDb(store.db);
    const { md } = await openMaildir(join(root, 'inbox'));
    const now = Date.UTC(2026, 11, 7);
    const day = 86_400;
    const nowSec = now / 1000;
    const old = PRUNE_BATCH * 2 + 7; // more than one batch
    const rows = [
      ...Array.from({ length: old }, (_, i) => ({ id: `old-${i}`, finished: nowSec - 91 * day, outcome: 'done' as const })),
      ...Array.from({ length: 5 }, (_, i) => ({ id: `young-${i}`, finished: nowSec - 89 * day, outcome: 'rejected' as const })),
    ];
    for (const r of rows) {
      await db.insertInto('actions').values({ id: r.id, request_id: r.id, state: r.outcome, outcome: r.outcome, received_at: r.finished, finished_at: r.finished, updated_at: r.finished, result_file: `${r.outcome}/${r.id}.json` }).execute();
      await writeFile(md.path(r.outcome, `${r.id}.json`), '{}');
    }
    await db.insertInto('actions').values({ id: 'queued-old', state: 'queued', received_at: nowSec - 200 * day, updated_at: nowSec - 200 * day }).execute();
    await writeFile(md.path('failed', 'orphan.json'), '{}');
    const long = new Date(now - 100 * day * 1000);
    await utimes(md.path('failed', 'orphan.json'), long, long);
    const r = await pruneActions({ db, md, nowMs: now, retentionDays: 90 });
    expect(r).toEqual({ rows: old, files: old + 1 });
    const left = (await db.selectFrom('actions').select('id').execute()).map((x) => x.id).sort();
    expect(left).toEqual(['queued-old', ...Array.from({ length: 5 }, (_, i) => `young-${i}`)].sort());
    expect(await readdir(md.path('done'))).toEqual([]);
    expect((await readdir(md.path('rejected'))).sort()).toEqual(Array.from({ length: 5 }, (_, i) => `young-${i}.json`).sort());
    expect(await readdir(md.path('failed'))).toEqual([]);
  });

  // Regression (#17): agents sharing a database each pruned every expired row, and removed the
  // row's result file name from their own inbox — where that name may be another user's fresh result.
  it('in a fleet, a row another agent took in goes without touching this inbox\'s file of the same name', async () => {
    const root = await tempDir('pmi-retention-fleet-');
    const store = await openTestDb(root);
    closers.push(() => store.close());
    const db = inboxDb(store.db);
    const { md } = await openMaildir(join(root, 'inbox'));
    const now = Date.UTC(2026, 11, 7);
    const old = now / 1000 - 91 * 86_400;
    const row = (id: string, by: string) => ({ id, request_id: 'restart-web', state: 'done' as const, outcome: 'done' as const, received_at: old, finished_at: old, updated_at: old, result_file: `done/${id}.json`, received_by: by });
    await db.insertInto('actions').values(row('restart-web', 'a')).execute(); // agent a's, its file is on a's host
    await db.insertInto('actions').values(row('mine', 'b')).execute();
    await writeFile(md.path('done', 'restart-web.json'), '{}'); // b's inbox: another user's fresh result of that name
    await writeFile(md.path('done', 'mine.json'), '{}');
    await utimes(md.path('done', 'mine.json'), new Date(old * 1000), new Date(old * 1000));
    const r = await pruneActions({ db, md, nowMs: now, retentionDays: 90, agentId: 'b' });
    expect(r).toEqual({ rows: 2, files: 1 });
    expect(await db.selectFrom('actions').select('id').execute()).toEqual([]);
    expect(await readdir(md.path('done'))).toEqual(['restart-web.json']);
  });
});
