import SqliteDatabase from 'better-sqlite3';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type Store } from '../../agent/store/open-database.ts';
import { writeSnapshot } from '../../agent/store/snapshot.repository.ts';
import { syntheticSnapshot } from '../../scripts/bench/store-synthetic.ts';
import { main } from '../../scripts/db-snapshot.ts';

const T0 = 1_764_201_600;
let dir: string;
let store: Store;
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pmi-dbsnap-'));
  store = await openDatabase(join(dir, 'pmi.db'));
  for (let i = 0; i < 30; i++) await writeSnapshot(store.db, syntheticSnapshot({ ts: T0 + i * 60, guests: 300 }));
});
afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('npm run db:snapshot', () => {
  it('writes a consistent, standalone copy while the agent keeps writing', async () => {
    const lines: string[] = [];
    const out = join(dir, 'copy.db');
    let i = 30;
    // Keep the writer busy between backup steps.
    const writer = (async () => {
      for (; i < 60; i++) {
        await writeSnapshot(store.db, syntheticSnapshot({ ts: T0 + i * 60, guests: 300 }));
        await new Promise((r) => setImmediate(r));
      }
    })();
    const code = await main(['--db', join(dir, 'pmi.db'), '--out', out], (l) => lines.push(l));
    await writer;
    expect(code).toBe(0);
    expect(lines.join('\n')).toMatch(/100% \(\d+\/\d+ pages\)/);
    expect(existsSync(`${out}.partial`)).toBe(false);

    const copy = new SqliteDatabase(out, { readonly: true });
    expect(copy.pragma('integrity_check', { simple: true })).toBe('ok');
    expect(copy.pragma('journal_mode', { simple: true })).toBe('delete');
    // Consistent: the clusters row points at a cycle whose samples are all there.
    const { last } = copy.prepare('select last_sample_ts last from clusters').get() as { last: number };
    const perCycle = syntheticSnapshot({ ts: T0, guests: 300 }).guests.filter((g) => g.status !== 'stopped' && !g.template).length;
    expect(copy.prepare('select count(*) n from guest_samples where ts = ?').get(last)).toEqual({ n: perCycle });
    expect(copy.prepare('select count(distinct ts) n from guest_samples').get()).toEqual({ n: (last - T0) / 60 + 1 });
    copy.close();
  });

  it('takes the database path from the config file', async () => {
    const cfg = join(dir, 'pmi.json');
    writeFileSync(cfg, JSON.stringify({
      clusters: [{ name: 'lab', endpoints: ['https://127.0.0.1:8006'], tokenId: 'pmi@pve!agent', tokenSecretFile: 'secret', tls: { insecure: true } }],
      paths: { database: 'pmi.db', site: 'out', inbox: 'inbox' },
    }));
    const lines: string[] = [];
    expect(await main(['--config', cfg, '--out', join(dir, 'c2.db')], (l) => lines.push(l))).toBe(0);
    expect(existsSync(join(dir, 'c2.db'))).toBe(true);
    expect(await main([], (l) => lines.push(l))).toBe(2);
    expect(await main(['--db', join(dir, 'missing.db')], (l) => lines.push(l))).toBe(1);
    expect(lines.at(-1)).toMatch(/does not exist/);
  });
});
