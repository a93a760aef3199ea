// Regressions (issue 12 items 1 and 2): PVE 9 guest rrddata rows carry `memhost`, the database got
// NULL; node and guest rrddata carry pressure stall (PSI) and nodes the ZFS ARC size, which had no
// column. Uses the PVE 9 rrddata fixtures (field names as in pve-cluster's pve-vm-9.0 /
// pve-node-9.0 RRD definitions) and a real SQLite database.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { guestRowsFromRrd, nodeRowsFromRrd } from '../../agent/poll/map-backfill.ts';
import { RrdRow, parseItems } from '../../agent/pve/pve-schemas.ts';
import { writeBackfill } from '../../agent/store/backfill.repository.ts';
import { openDatabase, type Store } from '../../agent/store/open-database.ts';
import { prunePressure } from '../../agent/store/pressure.repository.ts';

const FIX = join(import.meta.dirname, '../fixtures/pve/pve9');
const rrd = (f: string) => {
  const j = JSON.parse(readFileSync(join(FIX, f), 'utf8')) as { data: unknown };
  return parseItems(RrdRow, j.data).items;
};

let store: Store | undefined;
afterEach(async () => {
  await store?.close();
  store = undefined;
});

describe('PVE 9 rrddata backfill', () => {
  it('memhost of a QEMU guest is stored, not NULL; pressure (cpu full included) too', async () => {
    const rows = rrd('qemu-rrddata-hour.json');
    const last = rows.filter((r) => r.cpu !== undefined).at(-1)!;
    const mapped = guestRowsFromRrd(100, 'qemu', rows, 0, 2e9);
    expect(mapped.at(-1)).toMatchObject({ memhost: last.memhost, pressureCpuSome: last.pressurecpusome, pressureCpuFull: last.pressurecpufull, pressureMemoryFull: last.pressurememoryfull });

    store = await openDatabase(':memory:');
    await writeBackfill(store.db, { cluster: 'c', guests: mapped, nodes: [] });
    const row = await store.db.selectFrom('guest_samples').selectAll().where('ts', '=', last.time).executeTakeFirstOrThrow();
    expect(row.memhost).toBe(Math.round(last.memhost!));
    const p = await store.db.selectFrom('guest_pressure_samples').selectAll().where('ts', '=', last.time).executeTakeFirstOrThrow();
    expect(p).toEqual({
      cluster_id: row.cluster_id, vmid: 100, ts: last.time, cpu_some: last.pressurecpusome, cpu_full: last.pressurecpufull,
      io_some: last.pressureiosome, io_full: last.pressureiofull, memory_some: last.pressurememorysome, memory_full: last.pressurememoryfull,
    });
  });

  it('an LXC guest has no memhost (QEMU only), but its pressure is kept', () => {
    const mapped = guestRowsFromRrd(200, 'lxc', rrd('qemu-rrddata-hour.json'), 0, 2e9);
    expect(mapped.at(-1)!.memhost).toBeNull();
    expect(mapped.at(-1)!.pressureIoSome).not.toBeNull();
  });

  it('node arcsize and pressure are stored', async () => {
    const rows = rrd('node-rrddata-hour.json');
    const last = rows.filter((r) => r.cpu !== undefined).at(-1)!;
    store = await openDatabase(':memory:');
    await writeBackfill(store.db, { cluster: 'c', guests: [], nodes: nodeRowsFromRrd('pve1', rows, 0, 2e9) });
    const row = await store.db.selectFrom('node_pressure_samples').selectAll().where('ts', '=', last.time).executeTakeFirstOrThrow();
    expect(row.arcsize).toBe(Math.round(last.arcsize!));
    expect(row).toMatchObject({
      node: 'pve1', cpu_some: last.pressurecpusome, io_some: last.pressureiosome, io_full: last.pressureiofull,
      memory_some: last.pressurememorysome, memory_full: last.pressurememoryfull,
    });
    // the live sample tables gained no columns: a polled row costs no more bytes than before
    const cols = (t: string) => (store!.sqlite.prepare(`select count(*) from pragma_table_info('${t}')`).pluck().get() as number);
    expect([cols('guest_samples'), cols('node_samples')]).toEqual([12, 18]);
    // pruned with the raw tier, in bounded steps
    expect(await prunePressure(store.db, last.time + 1, 10)).toBe(10);
    expect(await prunePressure(store.db, last.time + 1, 10_000)).toBeGreaterThan(0);
    expect(await store.db.selectFrom('node_pressure_samples').select('ts').execute()).toEqual([]);
  });

  it('PVE 7 rrddata (no such sources) leaves the new columns null', () => {
    const j = JSON.parse(readFileSync(join(FIX, '../pve7/qemu-rrddata-hour.json'), 'utf8')) as { data: unknown };
    const g = guestRowsFromRrd(100, 'qemu', parseItems(RrdRow, j.data).items, 0, 2e9).at(-1)!;
    expect(g).toMatchObject({ memhost: null, pressureCpuSome: null });
  });
});
