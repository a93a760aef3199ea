// Leases between agents on one database (issue 17 item 2): two lease keepers on one database
// (a SQLite file, and a database on the test run's PostgreSQL server), each through its own
// connection like two agent processes, driven by a fake clock.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../agent/log/logger.ts';
import { sql, type Kysely } from 'kysely';
import { openDatabase } from '../../agent/store/open-database.ts';
import { openPgStore } from '../../agent/store/open-store.ts';
import type { Database } from '../../agent/store/schema.ts';
import { STORE_BACKENDS, createTestDatabase, type Backend } from '../support/store-backends.ts';
import { createLeaseKeeper, type LeaseKeeper } from '../../agent/fleet/lease-keeper.ts';
import { planLeases, type LeaseRow } from '../../agent/fleet/lease-plan.ts';
import { cyclePhaseMs } from '../../agent/fleet/cycle-phase.ts';
import { readFleet, readLeases } from '../../agent/store/lease.repository.ts';
import { claimAction } from '../../agent/store/action-claim.repository.ts';
import { SITE_LEASE } from '../../agent/store/fleet-schema.ts';

const log = createLogger({ level: 'silent' });
const LEASE = 10_000;
let dir: string;
interface Conn { db: Kysely<Database>; close(): Promise<void> }
const stores: Conn[] = [];
let clock = 1_800_000_000_000;
const keepers: LeaseKeeper[] = [];
let backend: Backend = 'sqlite';
let pgDb: { url: string; drop(): Promise<void> } | undefined;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pmi-leases-'));
  clock = 1_800_000_000_000;
});
afterEach(async () => {
  for (const k of keepers.splice(0)) await k.stop();
  for (const s of stores.splice(0)) await s.close();
  await pgDb?.drop();
  pgDb = undefined;
  rmSync(dir, { recursive: true, force: true });
});

/** Another connection to the test's database, as another agent process would have. */
async function open(): Promise<Conn> {
  let s: Conn;
  if (backend === 'sqlite') s = await openDatabase(join(dir, 'pmi.db'));
  else {
    pgDb ??= await createTestDatabase();
    s = await openPgStore({ url: pgDb.url });
  }
  stores.push(s);
  return s;
}
const exec = async <T>(text: string) => (await sql.raw<T>(text).execute(stores[0]!.db)).rows;

async function keeper(id: string, clusters: string[], o: { shared?: boolean; onAcquired?: (n: string[]) => void } = {}): Promise<LeaseKeeper> {
  const s = await open();
  // the timer of a shared keeper is never reached here: ticks are driven by the test
  const k = createLeaseKeeper({ db: s.db, log, now: () => clock, agentId: id, host: 'h', pid: 1, clusters, intervalSeconds: 10, leaseMs: LEASE, shared: o.shared ?? true, publishCopy: false, tickMs: 3_600_000, ...(o.onAcquired && { onAcquired: o.onAcquired }) });
  keepers.push(k);
  await k.start();
  return k;
}

const row = (cluster: string, holder: string, renewedMs: number, o: Partial<LeaseRow> = {}): LeaseRow => ({ cluster, holder, acquiredMs: renewedMs, renewedMs, expiresMs: renewedMs + LEASE, releasedMs: null, ...o });

describe('planLeases', () => {
  const base = { me: 'a', wanted: ['c1'], nowMs: 100_000, leaseMs: LEASE, force: false };
  it.each([
    ['no row: acquired', [], { held: [], renew: false, acquire: [{ name: 'c1', reason: 'acquired' }] }],
    ['ours, renewed 1 s ago: nothing to write', [row('c1', 'a', 99_000)], { held: ['c1'], renew: false, acquire: [] }],
    ['ours, half the lease passed: renew', [row('c1', 'a', 95_000)], { held: ['c1'], renew: true, acquire: [] }],
    ['another holder, valid: left alone', [row('c1', 'b', 99_000)], { held: [], renew: false, acquire: [] }],
    ['another holder, expired: taken over', [row('c1', 'b', 80_000)], { held: [], renew: false, acquire: [{ name: 'c1', reason: 'expired' }] }],
    ['another holder, released: taken over', [row('c1', 'b', 99_000, { releasedMs: 99_500 })], { held: [], renew: false, acquire: [{ name: 'c1', reason: 'handover' }] }],
  ])('%s', (_n, leases, want) => {
    const p = planLeases({ ...base, leases });
    expect({ held: p.held, renew: p.renew, acquire: p.acquire.map((a) => ({ name: a.name, reason: a.reason })) }).toEqual(want);
  });
  it('alone on the database (force) it takes a lease another id still holds', () => {
    expect(planLeases({ ...base, force: true, leases: [row('c1', 'old-host', 99_000)] }).acquire.map((a) => a.reason)).toEqual(['forced']);
  });
});

describe.each(STORE_BACKENDS)('lease keepers on one database (%s)', (b) => {
  beforeEach(() => {
    backend = b;
  });
  it('the first agent holds its clusters and the site; a second one waits, then takes over when the first stops', async () => {
    const a = await keeper('a', ['c1', 'c2']);
    const gained: string[][] = [];
    const b = await keeper('b', ['c1', 'c2'], { onAcquired: (n) => gained.push(n) });
    expect([...a.heldClusters()].sort()).toEqual(['c1', 'c2']);
    expect(a.holds(SITE_LEASE)).toBe(true);
    expect(b.heldClusters().size).toBe(0);
    clock += 1000;
    await a.stop();
    keepers.splice(keepers.indexOf(a), 1);
    const stoppedAt = clock;
    clock += 1;
    await b.tick();
    expect([...b.heldClusters()].sort()).toEqual(['c1', 'c2']);
    expect(b.holds(SITE_LEASE)).toBe(true);
    expect(gained).toEqual([['c1', 'c2', SITE_LEASE]]);
    const fleet = await readFleet(stores[0]!.db, 0);
    expect(fleet.handovers.filter((h) => h.cluster === 'c1').map((h) => [h.from, h.to, h.reason])).toEqual([
      ['a', 'b', 'handover'],
      ['a', null, 'released'],
      [null, 'a', 'acquired'],
    ]);
    expect(fleet.agents.find((x) => x.id === 'a')?.stoppedMs).toBe(stoppedAt);
  });

  it('the keepers see each other as live agents and so take different cycle phases; a dead one drops out once its leases expired', async () => {
    const a = await keeper('a', ['c1']);
    const b = await keeper('b', ['c2']);
    await a.tick();
    expect(a.liveAgents()).toEqual(['a', 'b']);
    expect(b.liveAgents()).toEqual(['a', 'b']);
    const pa = cyclePhaseMs('a', a.liveAgents(), 30_000);
    const pb = cyclePhaseMs('b', b.liveAgents(), 30_000);
    expect(pa).not.toBe(pb);
    for (const p of [pa, pb]) expect(p >= 0 && p < 30_000).toBe(true);
    keepers.splice(keepers.indexOf(a), 1); // "killed"
    clock += LEASE;
    await b.tick();
    expect(b.liveAgents()).toEqual(['b']);
    expect(cyclePhaseMs('b', b.liveAgents(), 30_000)).toBe(0);
  });

  it('a silent holder (killed: no release) loses its clusters once its lease expired, not before', async () => {
    const a = await keeper('a', ['c1']);
    const b = await keeper('b', ['c1']);
    keepers.splice(keepers.indexOf(a), 1); // "killed": never stopped, never ticks again
    clock += LEASE - 1;
    await b.tick();
    expect(b.holds('c1')).toBe(false);
    clock += 1;
    await b.tick();
    expect(b.holds('c1')).toBe(true);
    expect(a.holds('c1')).toBe(false);
    const h = (await readFleet(stores[0]!.db, 0)).handovers.find((x) => x.cluster === 'c1' && x.to === 'b');
    expect(h).toMatchObject({ from: 'a', reason: 'expired' });
  });

  it('renews only once half the lease has passed (one write per half lease, none in between)', async () => {
    const a = await keeper('a', ['c1']);
    const first = (await readLeases(stores[0]!.db))[0]!;
    clock += LEASE / 2 - 1;
    await a.tick();
    expect((await readLeases(stores[0]!.db))[0]!.renewedMs).toBe(first.renewedMs);
    clock += 1;
    await a.tick();
    expect((await readLeases(stores[0]!.db))[0]!.renewedMs).toBe(clock);
  });

  it('an action is claimed by the holder of its cluster only, and by the next holder after a death', async () => {
    const a = await keeper('a', ['c1']);
    const b = await keeper('b', ['c1']);
    await exec(`INSERT INTO actions (id, cluster, vmid, state, received_at, updated_at, received_by) VALUES ('x1', 'c1', 101, 'queued', 1, 1, 'b')`);
    expect(await claimAction(stores[0]!.db, 'x1', 'b', clock)).toBe(false);
    expect(await claimAction(stores[0]!.db, 'x1', 'a', clock)).toBe(true);
    keepers.splice(keepers.indexOf(a), 1);
    clock += LEASE;
    expect(await claimAction(stores[0]!.db, 'x1', 'a', clock)).toBe(false); // its lease has expired: no more POSTs
    await b.tick();
    expect(b.holds('c1')).toBe(true);
    expect(await claimAction(stores[0]!.db, 'x1', 'b', clock)).toBe(true);
    expect(await exec(`SELECT claimed_by FROM actions WHERE id = 'x1'`)).toEqual([{ claimed_by: 'b' }]);
    await exec(`UPDATE actions SET outcome = 'done', state = 'done' WHERE id = 'x1'`);
    expect(await claimAction(stores[0]!.db, 'x1', 'b', clock)).toBe(false);
  });
});

describe('the agent page', () => {
  it('shows the agents, who holds which lease, and the handovers, with agent ids escaped', async () => {
    const { makeSynthetic } = await import('../../scripts/bench/site.bench.ts');
    const { createSiteBuilder } = await import('../../agent/site/site-builder.ts');
    const { registerAgent, acquireLease, readLeases: leasesOf } = await import('../../agent/store/lease.repository.ts');
    const syn = await makeSynthetic(5);
    try {
      const db = syn.store.db;
      const now = syn.now * 1000;
      await registerAgent(db, { id: 'agent-a', host: 'h1', pid: 1, nowMs: now - 180_000, intervalSeconds: 60, leaseMs: 60_000, clusters: ['c1'], publishCopy: false });
      await registerAgent(db, { id: 'agent-<b>', host: 'h2', pid: 2, nowMs: now - 1000, intervalSeconds: 60, leaseMs: 60_000, clusters: ['c1'], publishCopy: true });
      await acquireLease(db, 'agent-a', 'c1', undefined, 'acquired', now - 120_000, 60_000);
      await acquireLease(db, 'agent-<b>', 'c1', (await leasesOf(db))[0], 'expired', now - 1000, 60_000);
      await acquireLease(db, 'agent-<b>', SITE_LEASE, undefined, 'acquired', now - 1000, 60_000);
      const builder = createSiteBuilder({ db, log, now: () => now, outDir: join(syn.dir, 'site'), config: { pollIntervalSeconds: 60, site: { title: 'PMI Dashboard', staleAfterIntervals: 3 } } });
      const { files } = await builder.build({ toMemory: true });
      const html = String(files!.get('agent.html'));
      const section = html.slice(html.indexOf('Agents and leases'));
      expect(section).toContain('agent-&lt;b&gt;');
      expect(section).not.toContain('agent-<b>');
      expect(section).toMatch(/<td>agent-a<\/td><td>h1<\/td><td>silent<\/td>/);
      expect(section).toMatch(/<td>site \(publisher\)<\/td><td>agent-&lt;b&gt;<\/td>/);
      expect(section).toMatch(/<td>c1<\/td><td>agent-a<\/td><td>agent-&lt;b&gt;<\/td><td>expired<\/td>/);
    } finally {
      await syn.dispose();
    }
  });
});
