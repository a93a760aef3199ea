// Scale benchmark (issue 17 item 5): five real agents (`pmi-agent run`, compiled by
// scripts/build.ts and started by plain node with the systemd unit's flags, as the service runs), each with its own clusters (10,000 guests per agent, 50,000 in all; --quick: 1,000 per agent),
// all on one throw-away PostgreSQL server (test/support/pg-server.ts, as the tests start it), and
// one simulator process with 250 clusters (--quick 25). A sixth agent is configured for the first
// agent's clusters and holds nothing until that agent is killed with SIGKILL: failoverSeconds is
// from the kill to the first poll run the standby stored for them. Figures are measured, never typed in.
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { FLEET_OVERVIEW_SQL, readFleetOverview } from '../../agent/store/fleet-overview.repository.ts';
import { GUEST_STATE_SQL } from '../../agent/store/guest-state.repository.ts';
import { queryGuests } from '../../agent/store/site-inventory.repository.ts';
import { ALL_SOURCES, CHART_30D, insertMonthGuest, insertSeriesGuest, readMonth, readSources } from './series-guest.ts';
import { openPgStore, type PgStore } from '../../agent/store/open-store.ts';
import { createDatabase, startPgServer } from '../../test/support/pg-server.ts';
import { AGENT_BIN, ROOT, buildApp } from '../build.ts';
import { productionNodeFlags, startSimChild } from './poll.bench.ts';
import { median, wallCpuMedian } from './wall-cpu.ts';

export interface ScaleBenchResult {
  agents: number;
  guests: number;
  guestsPerAgent: number;
  clusters: number;
  intervalSeconds: number;
  cyclesMeasured: number;
  /** Median of the store stage (every held cluster's snapshot written) per agent, after its first cycle. */
  ingestMsPerCycle: Record<string, number>;
  ingestMsPerCycleMax: number;
  /** Beside ingestMsPerCycle, not instead: every stage of the "cycle done" lines, median per agent after its first cycle (ms). */
  stageMsPerCycle: Record<string, Record<string, number>>;
  /** Second of the interval at which each agent's cycles started (from the "cycle done" lines: time − ms), median. */
  cycleStartSecondInInterval: Record<string, number>;
  /**
   * The store's fleet overview read (readFleetOverview, agent/store/fleet-overview.repository.ts):
   * the overview columns of v_guest_latest (the columns store.bench.ts reads at 10,000 guests) for
   * all 50,000 guests as row objects in the client, through the store's own pool; on PostgreSQL
   * read from the per-cluster current state the cycles write (guest_state, one JSON object of
   * column arrays per cluster; guest-state.repository.ts), which the site's guest list reads too.
   * Median of 5 after a warm-up, while all six agents keep polling on this machine.
   */
  fleetOverviewQueryMs: number;
  /**
   * This process's CPU time during that read (median of the 5, agents polling / paused): the
   * client's own cost, which the other processes on the two cores stretch into the wall time above.
   * It counts V8's helper threads and whatever else this process does meanwhile (the agents' log
   * lines), so it can exceed the wall time.
   */
  fleetOverviewQueryCpuMs: number;
  fleetOverviewQueryCpuMsAgentsPaused: number;
  /** The same, with every agent stopped (SIGSTOP) for the measurement, as when they run on other hosts. */
  fleetOverviewQueryMsAgentsPaused: number;
  fleetOverviewRows: number;
  /** The store read's query (guest_state per cluster) in the server alone (EXPLAIN ANALYZE), median of 3, agents running. */
  fleetOverviewPackedServerMs: number;
  /**
   * The plain query (`select <overview columns> from v_guest_latest`), 50,000 rows into a
   * node-postgres client with its default settings (one object per row): what a user's own
   * script gets. The figure this bench reported as fleetOverviewQueryMs before the packed read.
   */
  fleetOverviewPlainRowsMs: number;
  fleetOverviewPlainRowsMsAgentsPaused: number;
  /** The plain query's execution in the server alone (EXPLAIN ANALYZE, no rows sent), median of 3. */
  fleetOverviewServerMs: number;
  /** The site's guest list (queryGuests: every present guests row; on PostgreSQL from guest_state), median of 5, agents running. */
  siteGuestsQueryMs: number;
  /** `select *` from v_guest_latest (all 31 columns of 50,000 rows) into the default client, median of 5. */
  fleetOverviewAllColumnsMs: number;
  /**
   * The store reads behind one guest's 30-day chart, one guest per query (the site reads the same sources a bucket part at a time): the store's series read
   * (queryGuestTierSeries, site-series.repository.ts, lo = hi = the guest's vmid) of the two
   * stored sources of the 30-day range (encode-series.ts RANGES), `long.m` (hourly tier, 30 days
   * in 2-hour points) and `day` (5-minute tier, the last 24 h), with the site's own tierQuery(),
   * one after the other as the site does. The guest has every metric present and varying: 30 days
   * of 5-minute and a year of hourly rollups inserted for it. On PostgreSQL each metric comes back
   * as one comma-joined text, rounded by the server. Median of 5 after a warm-up, agents running.
   */
  guestSeriesQueryMs: number;
  guestSeriesQueryMsAgentsPaused: number;
  /** Points (timestamps) of those two reads together. */
  guestSeriesRows: number;
  /** Every stored source the site reads for that guest (day, long.w, long.m, long.y: 24 h, 7 d, 30 d, a year), one after the other. */
  guestSeriesAllSourcesMs: number;
  guestSeriesAllSourcesMsAgentsPaused: number;
  guestSeriesAllSourcesPoints: number;
  /**
   * What guestSeriesQueryMs timed before: queryGuestTierSeries of another guest's 30 days of
   * 5-minute points at step 300 s (8,640 points, a read no page makes: the site reads the 5-minute
   * tier for 24 h only, and at most 600 points a source), with that guest's old data (cpu and mem
   * constant, the five other metrics null), kept to compare with the earlier figures.
   */
  guestSeriesFiveMinuteMonthMs: number;
  guestSeriesFiveMinuteMonthMsAgentsPaused: number;
  guestSeriesFiveMinuteMonthPoints: number;
  /** A plain select of the guest's 5-minute rows (ts, cpu_avg, cpu_max, mem_avg, mem_max) into a node-postgres client with its default settings. */
  guestSeriesDefaultClientMs: number;
  guestSeriesDefaultClientMsAgentsPaused: number;
  /** That plain select's execution in the server alone (EXPLAIN ANALYZE), median of 3. */
  guestSeriesServerMs: number;
  /** Load average (1/5/15 min) when the queries ran with the agents polling, and when they were paused. */
  loadAverageAtQueries: number[];
  loadAverageAgentsPaused: number[];
  /** SIGKILL of an agent → first poll run of its clusters stored by the standby (poll_runs, 1 s resolution). */
  failoverSeconds: number;
  failoverIntervals: number;
  /** Clusters agent-1 held at the kill (of its 50; fewer: the failover figure is not one, see notes). */
  failoverClustersHeldAtKill: number;
  /** pg_stat_wal.wal_bytes over the steady-state window, per day per 1,000 guests. */
  dbBytesWrittenPerDayPer1000Guests: number;
  dbBytesSource: string;
  /** The data directory's growth over the same window, per day per 1,000 guests (tables and indexes, WAL excluded). */
  dbSizeGrowthPerDayPer1000Guests: number;
  windowSeconds: number;
  metrics: string;
  notes: string[];
  loadAverage: number[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface AgentProc {
  id: string;
  child?: ChildProcess;
  out: string;
  /** store stage ms of each 'cycle done' line. */
  stores: number[];
  /** every stage of each 'cycle done' line, and the cycle's start (epoch ms). */
  cycles: Array<{ stages: Record<string, number>; startMs: number }>;
}

/** Runs the scale scenario once. */
export async function run(opts: { quick?: boolean; log: (line: string) => void }): Promise<ScaleBenchResult> {
  const AGENTS = 5;
  const perAgentClusters = opts.quick ? 5 : 50;
  const guests = opts.quick ? 5000 : 50_000;
  const interval = opts.quick ? 10 : 30;
  const cycles = opts.quick ? 3 : 4;
  const dir = mkdtempSync(join(tmpdir(), 'pmi-scale-'));
  // Diagnostic only, never the reported figure: no agent builds the site (nor runs the fleet
  // duties, maintenance and alerts, which go with the same lease), to tell how much of the store
  // stage is the `*site` holder's build contending for the cores. The lease is held by a placeholder
  // from the start; the agents keep the slots they have with five (agent.phaseSeconds).
  const noSite = process.env.PMI_SCALE_DIAGNOSTIC_NO_SITE === '1';
  const notes: string[] = [
    `the five agents, the simulator and PostgreSQL share this machine's ${availableParallelism()} cores: a store stage's wall time includes waiting for CPU (see the load average)`,
    'agents run compiled (scripts/build.ts) under plain node with the systemd unit\'s flags, as the service does, with health polling on and backfill off (new clusters would otherwise each pull a day of history)',
    'ingestMsPerCycle is the store stage of each agent\'s "cycle done" line (every held cluster\'s snapshot and poll run written), median over the cycles after the first (the first of a cluster reads its guests and takes the full path)',
    'PostgreSQL is the test server: fsync, synchronous_commit and full_page_writes off, so WAL bytes are below a durable server\'s (full-page images after checkpoints are missing)',
    'fleetOverviewQueryMs is the store\'s fleet overview read (readFleetOverview: the overview columns of v_guest_latest for every guest as row objects; on PostgreSQL from guest_state, the per-cluster current state each cycle writes, one JSON object of column arrays per cluster, also what the site\'s queryGuests reads) through the store\'s own pool; fleetOverviewPlainRowsMs is the plain select of the same columns from v_guest_latest into a node-postgres client with default settings; guestSeriesQueryMs is the store\'s series read (queryGuestTierSeries) of the store reads behind one guest\'s 30-day chart, one guest per query (its two stored sources: 30 days of the hourly tier in 2-hour points and 24 h of 5-minute points; every metric present), guestSeriesAllSourcesMs all four stored sources of that guest (24 h, 7 d, 30 d, a year), guestSeriesFiveMinuteMonthMs the read this figure timed before (another guest\'s 30 days of 5-minute points, 8,640 of them, which no page reads), guestSeriesDefaultClientMs a plain select of those 5-minute rows into the default client. All medians of 5 after a warm-up, client wall time (server execution, query and transfer included)',
    'each read is measured twice: while all six agents poll (they share this machine\'s cores with PostgreSQL and the reader), and again after the failover with every agent stopped by SIGSTOP (resumed by SIGCONT), as when the agents run on other hosts; both are reported (the paused reads\' load average lags: its one-minute figure still counts the agents\' last minute)',
  ];
  if (noSite) notes.unshift('DIAGNOSTIC RUN (PMI_SCALE_DIAGNOSTIC_NO_SITE=1), NOT a reported figure: no agent builds the site or runs maintenance and alerts (the `*site` lease is held by a placeholder), each agent fires at the slot it has among five');
  opts.log('building the application (scripts/build.ts)');
  const appDir = join(ROOT, 'var', 'bench-scale-app');
  await buildApp({ outDir: appDir });
  const nodeFlags = productionNodeFlags();
  opts.log(`PostgreSQL + simulator (${AGENTS * perAgentClusters} clusters, ${guests} guests)`);
  // the server's directory must be reachable by the postgres user: the real temporary directory
  // PMI_SCALE_PG_SETTINGS: extra server settings as JSON, for a diagnostic run (e.g. pg_stat_statements
  // preloaded for scripts/bench/scale-sampler.ts); named in the notes when given
  const pgSettings = process.env.PMI_SCALE_PG_SETTINGS ? JSON.parse(process.env.PMI_SCALE_PG_SETTINGS) as Record<string, string> : undefined;
  if (pgSettings) notes.unshift(`PostgreSQL settings beside the test server's (PMI_SCALE_PG_SETTINGS): ${JSON.stringify(pgSettings)}`);
  const server = await startPgServer({ parentDir: '/tmp', ...(pgSettings && { settings: pgSettings }) });
  const sim = await startSimChild({ clusters: AGENTS * perAgentClusters, nodesPerCluster: 4, guests }, 5, dir);
  const url = await createDatabase(server.url, 'pmi_scale');
  const db = new pg.Client({ connectionString: url });
  await db.connect();
  let store: PgStore | undefined;
  const procs: AgentProc[] = [];
  const secretFile = join(dir, 'token');
  writeFileSync(secretFile, sim.secret + '\n', { mode: 0o600 });

  const configFor = (id: string, clusterNames: string[]) => {
    const d = join(dir, id);
    mkdirSync(d);
    const config = {
      clusters: sim.config.clusters.filter((c) => clusterNames.includes(c.name)).map((c) => ({ name: c.name, endpoints: c.endpoints, tokenId: c.tokenId, tokenSecretFile: secretFile, tls: { fingerprint: c.fingerprint }, timeoutMs: 20_000 })),
      pollIntervalSeconds: interval,
      paths: { database: join(d, 'unused.sqlite'), site: join(d, 'site'), inbox: join(d, 'inbox') },
      database: { url: url },
      poll: { backfill: false },
      metrics: { file: join(d, 'metrics') },
      agent: { id, shared: true, ...(noSite && id.startsWith('agent-') && { phaseSeconds: ((Number(id.slice(6)) - 1) * interval) / AGENTS }) },
    };
    writeFileSync(join(d, 'config.json'), JSON.stringify(config));
    return join(d, 'config.json');
  };
  const start = (id: string, configPath: string): AgentProc => {
    const p: AgentProc = { id, out: '', stores: [], cycles: [] };
    const child = spawn(process.execPath, [...nodeFlags, join(appDir, AGENT_BIN), 'run', '--config', configPath], { stdio: ['ignore', 'pipe', 'pipe'] });
    let buf = '';
    // PMI_SCALE_LOG_DIR: every agent's whole log kept there (the run's directory is removed at the end)
    const logDir = process.env.PMI_SCALE_LOG_DIR;
    if (logDir) mkdirSync(logDir, { recursive: true });
    child.stdout!.on('data', (d: Buffer) => {
      if (logDir) appendFileSync(join(logDir, `${id}.log`), d);
      buf += d.toString();
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        if (line.includes('"cycle done"')) {
          try {
            const o = JSON.parse(line) as { stages?: { store?: number }; time?: number; ms?: number };
            if (o.stages?.store !== undefined) p.stores.push(o.stages.store);
            if (o.stages) p.cycles.push({ stages: o.stages as Record<string, number>, startMs: (o.time ?? Date.now()) - (o.ms ?? 0) });
          } catch {
            // not JSON: kept in out only
          }
        }
        p.out = (p.out + line + '\n').slice(-20_000);
      }
    });
    child.stderr!.on('data', (d: Buffer) => (p.out = (p.out + d.toString()).slice(-20_000)));
    p.child = child;
    procs.push(p);
    return p;
  };
  const until = async <T>(what: string, limitMs: number, pred: () => Promise<T | undefined | false>): Promise<T> => {
    const end = Date.now() + limitMs;
    for (;;) {
      for (const p of procs) if (p.child && p.child.exitCode !== null) throw new Error(`agent ${p.id} exited (${p.child.exitCode}) while waiting for ${what}:\n${p.out.slice(-3000)}`);
      const v = await pred().catch(() => undefined);
      if (v) return v;
      if (Date.now() > end) throw new Error(`gave up waiting for ${what}\n${procs.map((p) => `== ${p.id}\n${p.out.slice(-2000)}`).join('\n')}`);
      await sleep(250);
    }
  };
  const one = async <T>(text: string, params: unknown[] = []) => (await db.query(text, params)).rows[0] as T;

  try {
    if (noSite) {
      // the schema first (as an agent migrates it), then the site lease for nobody, for a day
      const s = await openPgStore({ url: url, poolSize: 2 });
      await s.pool.query(`insert into cluster_leases (cluster, holder, acquired_ms, renewed_ms, expires_ms) values ('*site', 'diagnostic-no-site', $1, $1, $2)`, [Date.now(), Date.now() + 86_400_000]);
      await s.close();
    }
    const names = sim.config.clusters.map((c) => c.name);
    const groups = Array.from({ length: AGENTS }, (_, i) => names.slice(i * perAgentClusters, (i + 1) * perAgentClusters));
    // agent-1 first, so it (not the standby) holds its clusters; the tables exist once it started
    for (let i = 0; i < AGENTS; i++) {
      const id = `agent-${i + 1}`;
      start(id, configFor(id, groups[i]!));
      if (i === 0) {
        await until('agent-1 to migrate the database and hold its clusters', 300_000, async () => (await one<{ n: string }>(`select count(*) as n from cluster_leases where holder = 'agent-1'`)).n === String(perAgentClusters + (noSite ? 0 : 1)));
      }
      opts.log(`${id} started`);
    }
    await until('every agent to hold its clusters', 300_000, async () => Number((await one<{ n: string }>(`select count(*) as n from cluster_leases where holder like 'agent-%' and cluster not like '*%'`)).n) === AGENTS * perAgentClusters);
    const standby = start('standby', configFor('standby', groups[0]!));
    opts.log(`waiting for ${cycles} cycles of every agent`);
    await until(`${cycles} cycles of every agent`, (cycles + 6) * interval * 1000 * 8, async () => procs.filter((p) => p.id !== 'standby').every((p) => p.stores.length >= cycles + 1));

    // steady-state write volume: WAL bytes and database size over a few intervals
    const wal0 = await one<{ b: string }>('select wal_bytes::text as b from pg_stat_wal');
    const size0 = await one<{ b: string }>(`select pg_database_size('pmi_scale')::text as b`);
    const t0 = Date.now();
    await sleep(2 * interval * 1000);
    const wal1 = await one<{ b: string }>('select wal_bytes::text as b from pg_stat_wal');
    const size1 = await one<{ b: string }>(`select pg_database_size('pmi_scale')::text as b`);
    const windowSeconds = (Date.now() - t0) / 1000;
    const perDayPer1000 = (bytes: number) => Math.round((bytes / windowSeconds) * 86_400 / (guests / 1000));

    // queries at 50,000 guests: a warm-up run each, then the median of 5 into the client, and the
    // server's own execution time (EXPLAIN ANALYZE) to tell the query from the transfer
    // `db` is a node-postgres client with its default settings, `store` the agent's own store
    const round1 = (x: number) => Math.round(x * 10) / 10;
    const clientMs = async (read: () => Promise<number>) => {
      const { wallMs, cpuMs, n } = await wallCpuMedian(read, 5);
      return { ms: round1(wallMs), cpuMs: round1(cpuMs), rows: n };
    };
    const serverMs = async (text: string, params: unknown[] = []) => {
      const server: number[] = [];
      for (let k = 0; k < 3; k++) {
        const r = await db.query(`explain (analyze, timing off, format json) ${text}`, params);
        server.push((r.rows[0] as { 'QUERY PLAN': Array<{ 'Execution Time': number }> })['QUERY PLAN'][0]!['Execution Time']);
      }
      return round1(median(server));
    };
    const plainRows = (text: string, params: unknown[] = []) => clientMs(async () => (await db.query(text, params)).rowCount ?? 0);
    store = await openPgStore({ url: url, poolSize: 2 }, { migrate: false });
    const storeDb = store.db;
    const overviewRead = () => clientMs(async () => (await readFleetOverview(storeDb)).length);
    const loadAtQueries = loadavg().map((x) => Math.round(x * 100) / 100);
    const overview = await overviewRead();
    const overviewPackedServer = await serverMs(GUEST_STATE_SQL);
    const overviewPlain = await plainRows(FLEET_OVERVIEW_SQL);
    const overviewServer = await serverMs(FLEET_OVERVIEW_SQL);
    const overviewAll = await plainRows('select * from v_guest_latest');
    const siteGuests = await clientMs(async () => (await queryGuests(storeDb)).length);
    // One guest's series. Guest g keeps the data and the read this figure had before (30 days of
    // 5-minute points, cpu and mem constant, the other metrics null: guestSeriesFiveMinuteMonthMs);
    // guest h gets every metric present and varying (deterministic, several magnitudes), 30 days of
    // 5-minute and a year of hourly rollups, and is read as the site reads a guest's charts.
    const [g, h] = (await db.query<{ cluster_id: number; vmid: number }>('select cluster_id, vmid from guests order by cluster_id, vmid limit 2')).rows as [{ cluster_id: number; vmid: number }, { cluster_id: number; vmid: number }];
    const nowSec = Math.floor(Date.now() / 1000);
    const from = nowSec - 30 * 86_400;
    notes.push(...(await insertSeriesGuest(db, h, nowSec)).map((e) => `${e}; guestSeriesQueryMs reads what there is`));
    await insertMonthGuest(db, g, nowSec).catch((err: unknown) => notes.push(`30 days of 5-minute rows for one guest could not be inserted (${String(err)}); guestSeriesFiveMinuteMonthMs reads what there is`));
    const SERIES_SQL = 'select ts, cpu_avg, cpu_max, mem_avg, mem_max from guest_samples_5m where cluster_id = $1 and vmid = $2 and ts >= $3 order by ts';
    const seriesParams = [g.cluster_id, g.vmid, from];
    const monthRead = () => clientMs(() => readMonth(storeDb, g, nowSec));
    const seriesRead = () => clientMs(() => readSources(storeDb, h, CHART_30D, nowSec));
    const allSourcesRead = () => clientMs(() => readSources(storeDb, h, ALL_SOURCES, nowSec));
    const series = await seriesRead();
    const allSources = await allSourcesRead();
    const month = await monthRead();
    const seriesDefault = await plainRows(SERIES_SQL, seriesParams);
    const seriesServer = await serverMs(SERIES_SQL, seriesParams);

    // failover: kill -9 agent-1, wait for the standby's first poll of agent-1's clusters. Only a
    // figure when agent-1 held them all at the kill: under heavy load a lease can lapse (an event
    // loop stalled past the lease) and the standby may already poll some of them.
    const heldAtKill = Number((await one<{ n: string }>(`select count(*) as n from cluster_leases where holder = 'agent-1' and cluster not like '*%'`)).n);
    if (heldAtKill !== perAgentClusters) {
      notes.push(`failoverSeconds is NOT a failover figure this run: agent-1 held ${heldAtKill} of its ${perAgentClusters} clusters when killed (the others' leases had lapsed to the standby before)`);
    }
    opts.log('kill -9 agent-1');
    const victim = procs[0]!;
    const exited = new Promise((r) => victim.child!.once('exit', r));
    const killedAt = Date.now();
    victim.child!.kill('SIGKILL');
    await exited;
    victim.child = undefined;
    const killSec = Math.floor(killedAt / 1000);
    const firstRun = await until('the standby to poll agent-1\'s clusters', 10 * interval * 1000, async () => {
      const r = await one<{ t: string | null }>(`select min(p.started_at)::text as t from poll_runs p join clusters c on c.id = p.cluster_id join cluster_leases l on l.cluster = c.name where l.holder = 'standby' and p.started_at >= $1`, [killSec]);
      return r.t === null ? undefined : Number(r.t);
    });
    const failoverSeconds = Math.max(0, firstRun - killedAt / 1000);
    void standby;

    // The same reads with every agent stopped (SIGSTOP … SIGCONT): in a deployment the agents run
    // on other hosts, not on the database's and the reader's two cores. Last, so no lease depends on it.
    opts.log('the reads again with the agents paused');
    const running = procs.filter((p) => p.child && p.child.exitCode === null);
    for (const p of running) p.child!.kill('SIGSTOP');
    let paused = { overview: NaN, overviewCpu: NaN, overviewPlain: NaN, series: NaN, allSources: NaN, month: NaN, seriesDefault: NaN, load: [] as number[] };
    // an agent stopped inside a transaction that holds a lock (partition DDL) would block a read:
    // give up after 60 s, resume the agents, and say so
    let limit: NodeJS.Timeout | undefined;
    try {
      await sleep(2000);
      const load = loadavg().map((x) => Math.round(x * 100) / 100);
      const measure = async () => ({ ...(await overviewRead().then((o) => ({ overview: o.ms, overviewCpu: o.cpuMs }))), overviewPlain: (await plainRows(FLEET_OVERVIEW_SQL)).ms, series: (await seriesRead()).ms, allSources: (await allSourcesRead()).ms, month: (await monthRead()).ms, seriesDefault: (await plainRows(SERIES_SQL, seriesParams)).ms, load });
      paused = await Promise.race([measure(), new Promise<never>((_, rej) => (limit = setTimeout(() => rej(new Error('no answer within 60 s')), 60_000)))]);
    } catch (err) {
      notes.push(`the reads with the agents paused were NOT measured (${String(err)}); their figures are NaN`);
    } finally {
      clearTimeout(limit);
      for (const p of running) p.child!.kill('SIGCONT');
    }

    const ingest: Record<string, number> = {};
    const stageMs: Record<string, Record<string, number>> = {};
    const startSecond: Record<string, number> = {};
    for (const p of procs.filter((x) => x.id.startsWith('agent-'))) {
      ingest[p.id] = Math.round(median(p.stores.slice(1)));
      const later = p.cycles.slice(1);
      const names = [...new Set(later.flatMap((c) => Object.keys(c.stages)))];
      stageMs[p.id] = Object.fromEntries(names.map((n) => [n, Math.round(median(later.map((c) => c.stages[n] ?? 0)))]));
      startSecond[p.id] = Math.round(median(later.map((c) => (c.startMs / 1000) % interval)) * 10) / 10;
    }
    return {
      agents: AGENTS,
      guests,
      guestsPerAgent: guests / AGENTS,
      clusters: AGENTS * perAgentClusters,
      intervalSeconds: interval,
      cyclesMeasured: Math.min(...procs.filter((p) => p.id.startsWith('agent-')).map((p) => p.stores.length - 1)),
      ingestMsPerCycle: ingest,
      ingestMsPerCycleMax: Math.max(...Object.values(ingest)),
      stageMsPerCycle: stageMs,
      cycleStartSecondInInterval: startSecond,
      fleetOverviewQueryMs: overview.ms,
      fleetOverviewQueryMsAgentsPaused: paused.overview,
      fleetOverviewQueryCpuMs: overview.cpuMs,
      fleetOverviewQueryCpuMsAgentsPaused: paused.overviewCpu,
      fleetOverviewRows: overview.rows,
      fleetOverviewPackedServerMs: overviewPackedServer,
      fleetOverviewPlainRowsMs: overviewPlain.ms,
      fleetOverviewPlainRowsMsAgentsPaused: paused.overviewPlain,
      fleetOverviewServerMs: overviewServer,
      fleetOverviewAllColumnsMs: overviewAll.ms,
      siteGuestsQueryMs: siteGuests.ms,
      guestSeriesQueryMs: series.ms,
      guestSeriesQueryMsAgentsPaused: paused.series,
      guestSeriesRows: series.rows,
      guestSeriesAllSourcesMs: allSources.ms,
      guestSeriesAllSourcesMsAgentsPaused: paused.allSources,
      guestSeriesAllSourcesPoints: allSources.rows,
      guestSeriesFiveMinuteMonthMs: month.ms,
      guestSeriesFiveMinuteMonthMsAgentsPaused: paused.month,
      guestSeriesFiveMinuteMonthPoints: month.rows,
      guestSeriesDefaultClientMs: seriesDefault.ms,
      guestSeriesDefaultClientMsAgentsPaused: paused.seriesDefault,
      guestSeriesServerMs: seriesServer,
      loadAverageAtQueries: loadAtQueries,
      loadAverageAgentsPaused: paused.load,
      failoverSeconds: Math.round(failoverSeconds * 10) / 10,
      failoverIntervals: Math.round((failoverSeconds / interval) * 100) / 100,
      failoverClustersHeldAtKill: heldAtKill,
      dbBytesWrittenPerDayPer1000Guests: perDayPer1000(Number(wal1.b) - Number(wal0.b)),
      dbBytesSource: 'pg_stat_wal.wal_bytes (cluster-wide WAL; the data pages follow at checkpoints)',
      dbSizeGrowthPerDayPer1000Guests: perDayPer1000(Number(size1.b) - Number(size0.b)),
      windowSeconds: Math.round(windowSeconds),
      metrics: 'metricsFileMs and metricsFileBytes at 10,000 guests: the metrics part (npm run bench -- --only metrics); every agent writes its own file each cycle',
      notes,
      loadAverage: loadavg().map((x) => Math.round(x * 100) / 100),
    };
  } finally {
    for (const p of procs) if (p.child && p.child.exitCode === null) p.child.kill('SIGKILL');
    await sleep(500);
    await store?.close().catch(() => undefined);
    await db.end().catch(() => undefined);
    await sim.stop();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

export function table(result: unknown): string {
  const r = result as ScaleBenchResult;
  const rows: Array<[string, string]> = [
    ['agents × guests', `${r.agents} × ${r.guestsPerAgent} = ${r.guests} (${r.clusters} clusters), interval ${r.intervalSeconds} s, ${r.cyclesMeasured} cycles measured`],
    ['ingestMsPerCycle (store stage, median per agent)', `${Object.entries(r.ingestMsPerCycle).map(([k, v]) => `${k} ${v}`).join(', ')} (max ${r.ingestMsPerCycleMax}; target ≤ 300)`],
    ['stages (median ms per agent, beside the figure above)', Object.entries(r.stageMsPerCycle).map(([k, v]) => `${k}: ${Object.entries(v).map(([n, ms]) => `${n} ${ms}`).join(' ')}`).join('; ')],
    ['cycles start at second of the interval', Object.entries(r.cycleStartSecondInInterval).map(([k, v]) => `${k} ${v}`).join(', ')],
    ['fleetOverviewQueryMs (store read, guest_state; agents polling / paused)', `${r.fleetOverviewQueryMs} / ${r.fleetOverviewQueryMsAgentsPaused} over ${r.fleetOverviewRows} rows (client CPU ${r.fleetOverviewQueryCpuMs} / ${r.fleetOverviewQueryCpuMsAgentsPaused}), ${r.fleetOverviewPackedServerMs} in the server (target ≤ 100)`],
    ['  plain select into a default node-postgres client (polling / paused)', `${r.fleetOverviewPlainRowsMs} / ${r.fleetOverviewPlainRowsMsAgentsPaused}, ${r.fleetOverviewServerMs} in the server; all 31 columns ${r.fleetOverviewAllColumnsMs} (polling)`],
    ['site guest list (queryGuests, polling)', `${r.siteGuestsQueryMs}`],
    ['guestSeriesQueryMs (the store reads behind one guest\'s 30-day chart, one guest per query; polling / paused)', `${r.guestSeriesQueryMs} / ${r.guestSeriesQueryMsAgentsPaused} over ${r.guestSeriesRows} points (target ≤ 10)`],
    ['  all four stored sources of that guest (24 h … 1 y)', `${r.guestSeriesAllSourcesMs} / ${r.guestSeriesAllSourcesMsAgentsPaused} over ${r.guestSeriesAllSourcesPoints} points`],
    ['  30 days of 5-minute points, step 300 s (the earlier figure\'s read)', `${r.guestSeriesFiveMinuteMonthMs} / ${r.guestSeriesFiveMinuteMonthMsAgentsPaused} over ${r.guestSeriesFiveMinuteMonthPoints} points`],
    ['  plain select of its rows into a default node-postgres client (polling / paused)', `${r.guestSeriesDefaultClientMs} / ${r.guestSeriesDefaultClientMsAgentsPaused}, ${r.guestSeriesServerMs} in the server`],
    ['load average at the reads (polling / paused)', `${r.loadAverageAtQueries.join(' ')} / ${r.loadAverageAgentsPaused.join(' ')}`],
    ['failoverSeconds (kill -9 → first poll by the standby)', `${r.failoverSeconds} = ${r.failoverIntervals} intervals (target ≤ 2)`],
    ['dbBytesWrittenPerDayPer1000Guests', `${r.dbBytesWrittenPerDayPer1000Guests} (${r.dbBytesSource}; size growth ${r.dbSizeGrowthPerDayPer1000Guests}; window ${r.windowSeconds} s)`],
    ['metrics file', r.metrics],
    ['load average', r.loadAverage.join(' ')],
  ];
  return rows.map(([k, v]) => `${k.padEnd(56)} ${v}`).join('\n') + '\n' + r.notes.map((n) => `note: ${n}`).join('\n');
}
