// The static site pipeline: collect (queries) → model (pure builders) → render (eta) → write
// (publish.ts, the only module that touches the output directory). One build at a time; one
// summary log line per build; a failed build leaves the live site alone and is reported on the
// agent status page by the next successful one.
import type { Kysely } from 'kysely';
import type { Config } from '../config/config.schema.ts';
import { PmiError, errorMessage } from '../errors.ts';
import type { Logger } from '../log/logger.ts';
import type { ClusterSnapshot } from '../poll/cluster-snapshot.ts';
import type { Database } from '../store/schema.ts';
import { writeAgentState } from '../store/site-activity.repository.ts';
import type { StorageTrendCache } from '../store/site-attention.repository.ts';
import type { SiteFrame } from './build-layout-model.ts';
import { collectSiteData, type GuestRowsCache, type NodeWindow, type SiteData } from './collect-site-data.ts';
import { seriesJson, type SOURCE_TIERS } from './encode-series.ts';
import { fmtTime } from './format.ts';
import { KEEP, createPublisher, type Entry, type Publisher, type ReleaseWriter, type SiteWriter } from './publish.ts';
import { emptySiteState, parseSiteState, serializeSiteState, type SiteState } from './site-state.ts';
import { createRecentCache } from './recent-cache.ts';
import { renderFleetPages } from './render-fleet-pages.ts';
import { renderGuestBuckets, type BucketState } from './render-guest-buckets.ts';
import { createRenderer } from './render.ts';
import { DEFAULT_PERIODS, partsFor, planFleet, tierQuery, type FleetPlan, type RollPeriods } from './roll-schedule.ts';
import { RawJson, toJson } from './encode-json.ts';
import { queryNodeTierSeries, queryStorageTierSeries } from '../store/site-series.repository.ts';
import { loadAssets } from './site-assets.ts';
import { bucketOf, paths } from './site-paths.ts';
import { emitClusterSeriesFiles } from './cluster-series-files.ts'; // issue 14 item 5 (pages)
import { emitAlertPages, loadAlertsStatus } from '../alerts/site/emit-alert-pages.ts'; // alerts (#16)

export interface BuildSummary {
  /** HTML pages in the site. */
  pages: number;
  /** Files written this build (content changed or new). */
  written: number;
  /** Files left as they were (same content, or not due this cycle). */
  unchanged: number;
  /** Bytes written this build. */
  bytes: number;
  ms: number;
}

export interface BuildOptions {
  /** Compute what would change; write nothing. */
  dryRun?: boolean;
  /** Render every file into memory (returned in `files`); write nothing. */
  toMemory?: boolean;
}

export interface BuildResult extends BuildSummary {
  /** With toMemory: every file of the site by path. */
  files?: Map<string, string | Buffer>;
}

export interface SiteBuilderDeps {
  db: Kysely<Database>;
  log: Logger;
  /** Milliseconds since the epoch. */
  now: () => number;
  outDir: string;
  config: Pick<Config, 'pollIntervalSeconds'> & { site: Omit<Config['site'], 'attention'> & Partial<Pick<Config['site'], 'attention'>> } & Partial<Pick<Config, 'alerts' | 'health'>>; // attention (#14): site.attention optional // alerts (#16): standing silences for the Alerts page
  /** File-system calls of the publisher (tests inject failures). */
  writer?: SiteWriter;
  templatesDir?: string;
  periods?: Partial<RollPeriods>;
}

export interface SiteBuilder {
  /** Reads back the live release and the state persisted with it (build() starts it when needed). */
  start(): void;
  /** Waits for the removal of old releases; no file of the site is touched afterwards. */
  stop(): Promise<void>;
  build(opts?: BuildOptions): Promise<BuildResult>;
  /** Feeds this cycle's snapshots into the in-memory recent-sample cache (call before build). */
  record(snapshots: ClusterSnapshot[]): void;
}

const STATE_LAST_BUILD = 'site.last_build';
const STATE_LAST_ERROR = 'site.last_error';
const NEAR_FULL_PCT = 85; // attention (#14): config site.attention.storageWarnPct's default

/** Creates the site builder for deps.outDir (nginx root: `<outDir>/current`). */
export function createSiteBuilder(deps: SiteBuilderDeps): SiteBuilder {
  const { db, log, outDir, config } = deps;
  const render = createRenderer(deps.templatesDir);
  const assets = loadAssets(deps.templatesDir);
  const cache = createRecentCache();
  const nodeWindow: NodeWindow = { rows: [], mark: 0 };
  const guestRows: GuestRowsCache = { signature: '', rows: [] };
  const storageTrend: StorageTrendCache = { hour: -1, rows: [] };
  const periods = { ...DEFAULT_PERIODS, ...deps.periods };
  let publisher: Publisher | null = null;
  let { buckets: states, ...fleetState }: SiteState = emptySiteState();
  let clusterIds = new Map<string, number>();
  const pending: ClusterSnapshot[] = [];
  const dayWritten = new Set<string>();
  let running = false;

  function record(snapshots: ClusterSnapshot[]): void {
    for (const s of snapshots) {
      const id = clusterIds.get(s.cluster);
      if (id === undefined) pending.push(s);
      else cache.addSnapshot(id, s);
    }
  }

  function start(): Publisher {
    if (publisher) return publisher;
    let loaded: SiteState | undefined; // parsed once, by the publisher's check (~50 ms at 10,000 guests)
    publisher = createPublisher({
      outDir,
      ...(deps.writer && { writer: deps.writer }),
      warn: (msg, err) => log.warn({ err }, msg),
      validateState: (v) => {
        const r = parseSiteState(v);
        return r.ok ? void (loaded = r.state) : r.error;
      },
    });
    if (loaded && publisher.loadedState) ({ buckets: states, ...fleetState } = loaded);
    return publisher;
  }

  async function build(opts: BuildOptions = {}): Promise<BuildResult> {
    if (running) throw new PmiError('SITE_BUILD_FAILED', 'a site build is already running; not starting another');
    running = true;
    const started = performance.now();
    const nowSec = Math.floor(deps.now() / 1000);
    let release: ReleaseWriter | null = null;
    try {
      const pub = start();
      const full = opts.toMemory === true || states.size === 0;
      const phase: Record<string, number> = {};
      let mark = performance.now();
      const lap = (name: string) => {
        const t = performance.now();
        phase[name] = Math.round(t - mark);
        mark = t;
      };
      const data = await collectSiteData(db, cache, nowSec, {
        // attention (#14): one threshold for "near full" everywhere (status.json, summary, bars, attention list)
        nearFullRatio: (config.site.attention?.storageWarnPct ?? NEAR_FULL_PCT) / 100,
        ...(config.site.attention && { thresholds: config.site.attention }),
        nodeWindow,
        guestRows,
        storageTrend,
        pending: pending.splice(0),
        publishedUpTo: (cluster, vmids) => publishedUpTo(states, partsFor(periods, config.pollIntervalSeconds), cluster, vmids),
        keepFrom: oldestUnpublished(states, partsFor(periods, config.pollIntervalSeconds)),
      });
      data.alerts = await loadAlertsStatus({ db, nowSec, standing: config.alerts?.silences ?? [] }); // alerts (#16) hook: status.json's `alerts`
      lap('collect');
      clusterIds = new Map(data.clusters.map((c) => [c.name, c.id]));
      const frame: SiteFrame = {
        siteTitle: config.site.title,
        generatedAt: nowSec,
        pollIntervalSeconds: config.pollIntervalSeconds,
        staleAfterIntervals: config.site.staleAfterIntervals,
        assets: assets.names,
        ...(config.site.attention && { attention: config.site.attention }), // attention (#14)
        ...(config.health && { nodeNetworkSeconds: config.health.every.nodeNetwork }),
      };
      // A real build hands each file to the publisher as soon as it is rendered, so writing
      // overlaps with rendering; dry runs and in-memory builds collect everything first.
      const entries = new Map<string, Entry>();
      if (!opts.toMemory && !opts.dryRun) release = await pub.begin();
      const rel = release;
      const emit = rel ? (p: string, c: Entry) => rel.put(p, c) : (p: string, c: Entry) => entries.set(p, c);
      for (const [name, data] of assets.files) emit(name, data);

      const lastBuild = data.siteState.get(STATE_LAST_BUILD)?.value;
      const lastErrorRaw = data.siteState.get(STATE_LAST_ERROR)?.value;
      const lastError = lastErrorRaw ? (JSON.parse(lastErrorRaw) as { ts: number; message: string }) : null;
      const has = (p: string) => !opts.toMemory && pub.has(p);
      const plan = planFleet(fleetState, { nowSec, intervalSeconds: config.pollIntervalSeconds, periods, full, has });
      let pages = await renderFleetPages(data, frame, render, emit, {
        ...(lastBuild && { lastBuild: describeBuild(lastBuild) }),
        lastError: lastError ? { when: fmtTime(lastError.ts), message: lastError.message } : null,
        nodeDue: plan.nodePage,
        pageDue: plan.page,
      });

      lap('fleet');
      await renderTierFiles(data, nowSec, plan, emit);
      lap('tiers');
      // alerts (#16): alerts.html and the Atom feeds, from the alert engine's own models and renderers
      await emitAlertPages({ db, frame, render, emit, clusters: data.clusters.map((c) => c.name), nowSec, standing: config.alerts?.silences ?? [] });
      const guests = await renderGuestBuckets({
        db, data, cache, frame, render, emit, has, states, periods, full, keep: KEEP, dayWritten,
        ...(rel && { flush: (p: string) => rel.flushUnit(p), keepUnit: (p: string) => rel.keepUnit(p) }),
      });
      pages += guests.pages;
      lap('guests');

      let result: BuildResult;
      if (opts.toMemory) {
        const files = new Map<string, string | Buffer>();
        let bytes = 0;
        for (const [p, c] of entries) {
          if (c === KEEP) continue;
          files.set(p, c);
          bytes += typeof c === 'string' ? Buffer.byteLength(c) : c.length;
        }
        result = { pages, written: 0, unchanged: 0, bytes, ms: 0, files };
      } else if (opts.dryRun) {
        const plan = pub.plan(entries);
        result = { pages, written: plan.written, unchanged: plan.unchanged, bytes: plan.bytes, ms: 0 };
      } else {
        const r = await rel!.commit(serializeSiteState({ buckets: guests.nextStates, ...plan.next }));
        // The persisted state is written with every release: its bytes count.
        result = { pages, written: r.written, unchanged: r.unchanged, bytes: r.bytes + (r.stateBytes ?? 0), ms: 0 };
        // Commit the roll schedule only now: a failed publish must redo this cycle's refreshes.
        states = guests.nextStates;
        fleetState = plan.next;
      }
      lap('write');
      result.ms = Math.round(performance.now() - started);
      if (!opts.toMemory && !opts.dryRun) {
        await writeAgentState(db, STATE_LAST_BUILD, JSON.stringify({ ts: nowSec, pages: result.pages, written: result.written, unchanged: result.unchanged, bytes: result.bytes, ms: result.ms }), nowSec);
      }
      log.info({ pages: result.pages, written: result.written, unchanged: result.unchanged, ms: result.ms, bytes: result.bytes, rolled: guests.rolled, phaseMs: phase, ...(opts.dryRun && { dryRun: true }), ...(opts.toMemory && { toMemory: true }) }, 'site built');
      return result;
    } catch (err) {
      await release?.abort();
      const message = errorMessage(err);
      log.error({ err, ms: Math.round(performance.now() - started) }, 'site build failed; the previous site stays published');
      try {
        await writeAgentState(db, STATE_LAST_ERROR, JSON.stringify({ ts: nowSec, message }), nowSec);
      } catch (e) {
        log.warn({ err: e }, 'could not record the site build error');
      }
      throw err instanceof PmiError ? err : new PmiError('SITE_BUILD_FAILED', `site build failed: ${message}`, { cause: err });
    } finally {
      running = false;
    }
  }

  /** Node and storage tier files (all at once, when the plan says) and the cluster chart files. */
  async function renderTierFiles(data: SiteData, nowSec: number, plan: FleetPlan, emit: (p: string, c: Entry) => void) {
    const storage: Record<string, RawJson> = {};
    const byNode = async (clusterId: number, src: keyof typeof SOURCE_TIERS) => new Map((await queryNodeTierSeries(db, clusterId, tierQuery(src, nowSec))).map((e) => [e.key, new RawJson(seriesJson(e))]));
    for (const c of data.clusters) {
      const nodes = data.nodes.filter((n) => n.cluster_id === c.id);
      const due = plan.tiersFor(nodes.map((n) => paths.nodeSeries(c.name, n.node, 'day')));
      const day = due.day ? await byNode(c.id, 'day') : null;
      if (plan.tiers.day) for (const e of await queryStorageTierSeries(db, c.id, tierQuery('day', nowSec))) storage[`${c.name}:${e.key}`] = new RawJson(seriesJson(e));
      const [w, m, y] = due.long ? await Promise.all((['long.w', 'long.m', 'long.y'] as const).map((src) => byNode(c.id, src))) : [];
      for (const n of nodes) {
        emit(paths.nodeSeries(c.name, n.node, 'day'), day ? (day.get(n.node)?.text ?? '{}') : KEEP);
        emit(paths.nodeSeries(c.name, n.node, 'long'), w ? toJson({ w: w.get(n.node) ?? null, m: m!.get(n.node) ?? null, y: y!.get(n.node) ?? null }) : KEEP);
      }
    }
    emit(paths.storageSeries, plan.tiers.day ? toJson({ v: 1, series: storage }) : KEEP);
    // issue 14 item 5 (pages): cluster chart files, on the node tier files' schedule
    const due = plan.tiersFor(data.clusters.map((c) => paths.clusterSeries(c.name, 'day')));
    await emitClusterSeriesFiles({ db, data, nowSec, due, emit });
  }

  return { build, record, start: () => void start(), stop: () => publisher?.settled() ?? Promise.resolve() };
}

/**
 * The newest sample every given guest already has in a published raw chunk (0 when one has none:
 * a new guest, or no state). A restart reads only the samples after it: the hour is ~6x more.
 */
function publishedUpTo(states: Map<string, BucketState>, parts: number, cluster: string, vmids: number[]): number {
  let floor = Infinity;
  for (const v of vmids) {
    const st = states.get(`${cluster}/${bucketOf(v)}`);
    const cut = st?.parts.length === parts ? st.parts[v % parts]!.rawCut : 0;
    if (cut === 0) return 0;
    if (cut < floor) floor = cut;
  }
  return floor === Infinity ? 0 : floor;
}

/**
 * The oldest sample that is not yet in every part's published raw chunks (0 before the first
 * release, or when a bucket's parts do not match): what the recent-sample cache must still hold.
 */
export function oldestUnpublished(states: Map<string, BucketState>, parts: number): number {
  let floor = Infinity;
  for (const st of states.values()) {
    if (st.parts.length !== parts) return 0;
    for (const p of st.parts) if (p.rawCut < floor) floor = p.rawCut;
  }
  return floor === Infinity || floor === 0 ? 0 : floor + 1;
}

function describeBuild(json: string): string {
  try {
    const b = JSON.parse(json) as { ts: number; pages: number; written: number; unchanged: number; bytes: number; ms: number };
    return `${fmtTime(b.ts)}: ${b.pages} pages, ${b.written} files written, ${b.unchanged} unchanged, ${b.bytes} bytes, ${b.ms} ms`;
  } catch {
    return json;
  }
}
