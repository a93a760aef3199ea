// Issue 17 item 6: `pmi-agent db copy` moves a SQLite history (samples, tiers, inventory, actions,
// alerts …) into an empty PostgreSQL database: progress on stderr, a row count check per table,
// the same answers from the views afterwards, identity columns continuing past the copied ids,
// and a refusal to copy into a database that already holds data.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../agent/cli.ts';
import { createLogger } from '../../agent/log/logger.ts';
import { createMaintenance } from '../../agent/store/maintenance.ts';
import { openDatabase, type Store } from '../../agent/store/open-database.ts';
import { openPgStore } from '../../agent/store/open-store.ts';
import { writePollRun, writeSnapshot } from '../../agent/store/snapshot.repository.ts';
import { syntheticSnapshot } from '../../scripts/bench/store-synthetic.ts';
import { createTestDatabase } from '../support/store-backends.ts';

const T0 = 1_764_201_600;
let dir: string;
let file: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pmi-copy-'));
  file = join(dir, 'pmi.sqlite');
  const store: Store = await openDatabase(file);
  let clock = T0 * 1000;
  const m = createMaintenance({ db: store.db, log: createLogger({ level: 'silent' }), now: () => clock, retention: { rawHours: 48, fiveMinuteDays: 30, hourlyDays: 400 }, options: { windowSeconds: 3600 } });
  for (let i = 0; i < 130; i++) {
    const ts = T0 + i * 60;
    clock = (ts + 2) * 1000;
    await writeSnapshot(store.db, syntheticSnapshot({ ts, guests: 25, nodes: 2 }));
    await writePollRun(store.db, { cluster: 'lab', startedAt: ts, durationMs: 100, requests: 5, errors: 0, endpoint: 'https://a:8006', ok: true });
    await m.run();
  }
  await store.close();
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function io() {
  const out = { stdout: '', stderr: '' };
  return { out, io: { stdout: (t: string) => (out.stdout += t), stderr: (t: string) => (out.stderr += t), env: {} } };
}

describe('pmi-agent db copy', () => {
  it('copies every table with progress and matching counts, and the views answer the same', async () => {
    const target = await createTestDatabase();
    try {
      const { out, io: cliIo } = io();
      const code = await runCli(['db', 'copy', '--from', `sqlite:${file}`, '--to', target.url], cliIo);
      expect(code, out.stderr).toBe(0);
      expect(out.stderr).toMatch(/guest_samples: [\d,]+ \/ [\d,]+ rows \(all tables \d+ %\)/);
      expect(out.stderr).toMatch(/every table's row count matches/);
      const lines = out.stdout.trim().split('\n').map((l) => l.split('\t'));
      expect(lines.length).toBeGreaterThan(20);
      expect(lines.filter((l) => l[3] !== 'ok')).toEqual([]);
      expect(lines.find((l) => l[0] === 'guest_samples')![1]).not.toBe('0');
      expect(lines.find((l) => l[0] === 'guest_samples_1h')![1]).not.toBe('0');

      const src = await openDatabase(file);
      const dst = await openPgStore({ url: target.url });
      try {
        const q = 'select cluster, vmid, status, cpu, mem, mem_fraction from v_guest_latest order by vmid';
        const a = src.sqlite.prepare(q).all() as Array<Record<string, number>>;
        const b = (await dst.pool.query(q)).rows as Array<Record<string, number>>;
        expect(b.length).toBe(a.length);
        b.forEach((r, i) => {
          expect({ ...r, mem_fraction: undefined }).toEqual({ ...a[i], mem_fraction: undefined });
          if (a[i]!.mem_fraction === null) expect(r.mem_fraction).toBeNull();
          else expect(r.mem_fraction).toBeCloseTo(a[i]!.mem_fraction!, 9);
        });
        const h = 'select vmid, ts, samples, cpu_avg, mem_avg from guest_samples_1h order by vmid, ts';
        expect((await dst.pool.query(h)).rows).toEqual(src.sqlite.prepare(h).all());
        // poll_runs ids were copied; the identity continues after them
        const maxId = (src.sqlite.prepare('select max(id) as m from poll_runs').get() as { m: number }).m;
        await writePollRun(dst.db, { cluster: 'lab', startedAt: T0 + 9999, durationMs: 1, requests: 1, errors: 0, endpoint: 'x', ok: true });
        expect((await dst.pool.query('select max(id) as m from poll_runs')).rows[0].m).toBe(maxId + 1);
      } finally {
        await src.close();
        await dst.close();
      }

      // a second copy into the same (now filled) database is refused
      const again = io();
      expect(await runCli(['db', 'copy', '--from', `sqlite:${file}`, '--to', target.url], again.io)).toBe(78);
      expect(again.out.stderr).toMatch(/already holds data/);
    } finally {
      await target.drop();
    }
  });

  it('says what is missing', async () => {
    const a = io();
    expect(await runCli(['db', 'copy', '--to', 'postgres://x@127.0.0.1/db'], a.io)).toBe(2);
    expect(a.out.stderr).toMatch(/--from sqlite:FILE is required/);
    const b = io();
    expect(await runCli(['db', 'copy', '--from', `sqlite:${join(dir, 'nope.sqlite')}`, '--to', 'postgres://x@127.0.0.1/db'], b.io)).toBe(78);
    expect(b.out.stderr).toMatch(/no such file/);
  });
});
