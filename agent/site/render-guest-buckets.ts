// Render stage for guests, one bucket (100 vmids) at a time: the bucket's live file every cycle,
// and its pages, JSON, raw chunks and tier files when the roll schedule says so (else KEEP the
// live release's). Raw samples are published once each in immutable per-part chunks (the last
// hour) plus, until the part's next turn, in the live file: rewriting a guest's last hour every
// ten minutes cost half of an ordinary cycle's writes. The day and long series are per part too
// (one file per part instead of one per guest: 8,000 fewer files in a 10,000-guest site).
import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.ts';
import { querySnapshotChanges, queryBucketSnapshots, type GuestSnapshotsSite } from '../store/guest-snapshots.repository.ts'; // issue 14 item 5 (pages)
import { buildGuestSnapshots, buildLastBackup } from './build-guest-extras.ts'; // issue 14 item 5 (pages)
import { queryBucketActivity, type ActionRow, type TaskRow } from '../store/site-activity.repository.ts';
import { buildGuestPage, buildPartJson, guestAnnotations, type GuestInput } from './build-guest-model.ts';
import { buildLayout, type SiteFrame } from './build-layout-model.ts';
import type { SiteData } from './collect-site-data.ts';
import { buildGuestPressure } from './build-fidelity-model.ts';
import { RANGES, SOURCE_TIERS, encodeWindow, seriesJson } from './encode-series.ts';
import type { GuestRow } from '../store/site-inventory.repository.ts';
import type { KEEP } from './publish.ts';
import type { RecentCache } from './recent-cache.ts';
import type { Render } from './render.ts';
import { dueFor, partsFor, tierQuery, type BucketRoll, type Due, type RollPeriods } from './roll-schedule.ts';
import { queryGuestTierSeries, type EncodedSeries } from '../store/site-series.repository.ts';
import { bucketOf, paths, rootOf } from './site-paths.ts';
import { guestChartData } from './build-chart-page-data.ts'; // charts (#14) hook
import { groupBy, pushTo } from './group-by.ts';

export interface PartState extends BucketRoll {
  /** Samples up to this ts are in the part's raw chunks; later ones go to the live file. */
  rawCut: number;
  /** The part's published raw chunks, oldest first: [from, to] (inclusive), covering the last hour. */
  chunks: Array<[number, number]>;
  /** Newest 5-minute point in the part's day chunks (0: none yet). */
  dayCut: number;
  /** The part's published day chunks (5-minute tier), oldest first, covering the last 24 h. */
  dayChunks: Array<[number, number]>;
  /**
   * When the part's published long files were made, oldest first: the newest is listed in the
   * part's JSON; the one before stays one more period for a page that read the older JSON.
   * Absent in a state written before long files were per part (then the part's is due).
   */
  longs?: number[];
}

export interface BucketState {
  /** Digest of the bucket's inventory rows and activity: a change forces page and JSON refresh. */
  digest: string;
  /** Digest of the bucket's vmids at the last build: a new guest gets its tier files at once. */
  vmids: string;
  /** Per part (vmid % parts.length). */
  parts: PartState[];
}

export interface GuestRenderContext {
  db: Kysely<Database>;
  data: SiteData;
  cache: RecentCache;
  frame: SiteFrame;
  render: Render;
  emit: (path: string, content: string | Buffer | typeof KEEP) => void;
  /** Whether the live release has this path (so KEEP is possible). */
  has: (path: string) => boolean;
  states: Map<string, BucketState>;
  periods: RollPeriods;
  /** Ignore the schedule and render everything (first build, to-memory builds). */
  full: boolean;
  keep: typeof KEEP;
  /**
   * Parts ("<cluster>/<bucket>/<part>") whose day chunks this process has written. A part's first
   * day turn after a start rewrites its whole 24 h in one chunk: rows stored meanwhile with older
   * timestamps (the backfill after an outage) would otherwise never reach the day chunks.
   */
  dayWritten: Set<string>;
  /** A bucket's files are all emitted (given one of its paths): the publisher may write them now. */
  flush?: (path: string) => Promise<void>;
  /** The bucket (given one of its paths) is as in the live release: nothing of it was emitted. */
  keepUnit?: (path: string) => void;
}

export interface GuestRenderResult {
  pages: number;
  nextStates: Map<string, BucketState>;
  rolled: { raw: number; html: number; day: number; long: number };
}

const ACTIVITY_DAYS = 30;
/** Raw history kept in a part's chunks: the 1 h range (the 24 h file covers older). */
const JSON_RAW_SECONDS = 3600;
/** History kept in a part's day chunks: the 24 h range. */
const DAY_SECONDS = SOURCE_TIERS.day.seconds;

/** Renders all guest buckets; returns the bucket states to commit once publishing succeeded. */
export async function renderGuestBuckets(ctx: GuestRenderContext): Promise<GuestRenderResult> {
  const { data, frame } = ctx;
  const nowSec = frame.generatedAt;
  const nextStates = new Map<string, BucketState>();
  const rolled = { raw: 0, html: 0, day: 0, long: 0 };
  let pages = 0;
  const clusterById = new Map(data.clusters.map((c) => [c.id, c]));
  const known = new Set<string>();
  for (const g of data.guests) known.add(`${clusterById.get(g.cluster_id)?.name}/${g.vmid}`);
  const clusterSet = new Set(data.clusters.map((c) => c.name));

  // Activity digests per bucket from the cycle's recent tasks/actions (cheap: already in memory).
  const activity = new Map<string, string[]>();
  for (const t of data.tasks) if (t.vmid !== null) pushTo(activity, `${t.cluster_id}/${bucketOf(t.vmid)}`, `${t.upid}:${t.endtime}:${t.status}`);
  const idByName = new Map(data.clusters.map((c) => [c.name, c.id]));
  for (const a of data.actions) {
    const cid = a.cluster ? idByName.get(a.cluster) : undefined;
    if (cid !== undefined && a.vmid !== null) pushTo(activity, `${cid}/${bucketOf(a.vmid)}`, `${a.id}:${a.state}:${a.updated_at}`);
  }
  // issue 14 item 5 (pages): a changed snapshot list refreshes its guest's page; last backups by guest
  for (const c of await querySnapshotChanges(ctx.db, nowSec - ACTIVITY_DAYS * 86_400)) pushTo(activity, `${c.cluster_id}/${bucketOf(c.vmid)}`, `snap:${c.vmid}:${c.changed_at}`);
  const backupOf = new Map((data.health?.backupGuests ?? []).map((b) => [`${b.cluster}/${b.vmid}`, b]));

  const buckets = new Map<string, GuestRow[]>();
  for (const g of data.guests) pushTo(buckets, `${g.cluster_id}/${bucketOf(g.vmid)}`, g);

  const bucketCount = new Map<number, number>();
  const bucketIndex = new Map<string, number>();
  // A bucket's parts take their raw turn in the same cycle, the buckets of the whole fleet spread
  // over the cycles: a turn makes a new version of the bucket's tree (every unchanged file of it
  // hard-linked, the old version removed later), so one version per bucket per raw period instead
  // of one per part (#13: 10,000 guests in 50 clusters of 2 buckets, as the agent bench runs: ~60
  // trees re-made per cycle, now 10; a cluster of many buckets already turned whole buckets).
  const fleetIndex = new Map<string, number>();
  for (const [bkey, guests] of buckets) {
    const cid = guests[0]!.cluster_id;
    bucketIndex.set(bkey, bucketCount.get(cid) ?? 0);
    bucketCount.set(cid, (bucketCount.get(cid) ?? 0) + 1);
    fleetIndex.set(bkey, fleetIndex.size);
  }

  for (const [bkey, guests] of buckets) {
    const cluster = clusterById.get(guests[0]!.cluster_id)!;
    const bucket = bucketOf(guests[0]!.vmid);
    const stateKey = `${cluster.name}/${bucket}`;
    const last = ctx.states.get(stateKey);
    // guests.changed_at moves whenever the store changes a guest's row, so it stands for the row.
    const h = createHash('sha1');
    for (const g of guests) h.update(`${g.vmid}:${g.changed_at}:${g.status}:${g.node};`);
    const digest = h.update((activity.get(bkey) ?? []).join('|')).digest('base64url');
    // Guest files that the live release lacks must be written now (new guests).
    const missing = (p: string) => !ctx.has(p);
    const vmids = createHash('sha1').update(guests.map((g) => g.vmid).join(',')).digest('base64url');
    const newGuests = last?.vmids !== vmids;
    const changed = last?.digest !== digest;
    const P = partsFor(ctx.periods, frame.pollIntervalSeconds);
    const partOf = (vmid: number) => vmid % P;
    const partPath = (p: number) => paths.rawChunk(cluster.name, guests[0]!.vmid, paths.partDataName(p));
    const lastParts = last?.parts.length === P ? last.parts : undefined;
    const parts: PartState[] = [];
    const dues: Due[] = [];
    for (let p = 0; p < P; p++) {
      const lp = lastParts?.[p];
      dues.push(ctx.full
        ? { raw: true, html: true, day: true, long: true }
        : dueFor({ nowSec, intervalSeconds: frame.pollIntervalSeconds, index: bucketIndex.get(bkey)! * P + p, count: bucketCount.get(cluster.id)! * P, turn: { index: fleetIndex.get(bkey)!, count: buckets.size }, last: lp, changed, periods: ctx.periods }));
      // A bucket that gained a guest starts its day chunks over (the new guest's older points).
      parts.push(lp && !newGuests ? { ...lp } : { raw: lp?.raw ?? 0, html: lp?.html ?? 0, day: 0, long: lp?.long ?? 0, rawCut: lp?.rawCut ?? 0, chunks: lp?.chunks ?? [], dayCut: 0, dayChunks: [], ...(lp?.longs && { longs: lp.longs }) });
      if (!parts[p]!.longs) dues[p]!.long = true;
      // A page of a release from before part JSON files reads its guest's own JSON, which is gone now.
      if (!ctx.full && !ctx.has(partPath(p)) && guests.some((g) => partOf(g.vmid) === p)) dues[p]!.html = true;
    }
    const next: BucketState = { digest, vmids, parts };
    const anyDue = (kind: keyof BucketRoll) => dues.some((d) => d[kind]);
    // The bucket's live file: each guest's samples after its part's raw chunks.
    const emitLive = () => {
      let live = '';
      for (const g of guests) {
        const series = encodeWindow(ctx.cache.get(g.cluster_id, g.vmid), parts[partOf(g.vmid)]!.rawCut + 1);
        if (series) live += `${live ? ',' : ''}"${g.vmid}":${series}`;
      }
      ctx.emit(paths.live(cluster.name, bucket), `{"v":1,"g":{${live}}}`);
    };

    // Most buckets, most cycles: nothing of theirs is due. Only the live file is new; the bucket's
    // files stay as published (state `last` exists only for a published bucket).
    if (ctx.keepUnit && !ctx.full && last && !newGuests && !changed && !dues.some((d) => d.raw || d.html || d.day || d.long)) {
      pages += guests.length;
      emitLive();
      ctx.keepUnit(paths.guest(cluster.name, guests[0]!.vmid));
      nextStates.set(stateKey, next);
      continue;
    }

    const needActivity = anyDue('raw') || anyDue('html') || guests.some((g) => missing(paths.guest(cluster.name, g.vmid)) || missing(partPath(partOf(g.vmid))));
    let act: { tasks: TaskRow[]; actions: ActionRow[] } = { tasks: [], actions: [] };
    if (needActivity) act = await queryBucketActivity(ctx.db, cluster, guests[0]!.vmid, guests[guests.length - 1]!.vmid, nowSec - ACTIVITY_DAYS * 86_400);
    const snaps = needActivity ? await queryBucketSnapshots(ctx.db, cluster.id, guests[0]!.vmid, guests[guests.length - 1]!.vmid) : new Map<number, GuestSnapshotsSite>(); // issue 14 item 5 (pages)

    const long = await longSeries(ctx, cluster.id, guests, newGuests ? undefined : { parts: P, due: dues.flatMap((d, p) => (d.long ? [p] : [])) }, anyDue('long') || newGuests);
    const listed: boolean[] = [];
    for (let p = 0; p < P; p++) {
      const d = dues[p]!;
      const st = parts[p]!;
      // The part's JSON (which lists the part's chunks) is rewritten on the part's raw turn and
      // whenever a chunk is added; chunks that aged out are unlisted only then (never 404 on a listed one).
      let relist = d.raw || newGuests;
      const dayPath = ([from, to]: [number, number]) => paths.rawChunk(cluster.name, guests[0]!.vmid, paths.dayChunkName(p, from, to));
      let freshDay: [number, number] | null = null;
      if (d.day || newGuests || st.day === 0) {
        const partKey = `${stateKey}/${p}`;
        if (!ctx.dayWritten.has(partKey)) {
          st.dayCut = 0;
          st.dayChunks = [];
          ctx.dayWritten.add(partKey);
        }
        freshDay = await emitDayChunk(ctx, cluster.id, guests, P, p, st, (c, body) => ctx.emit(dayPath(c), body));
        if (freshDay) relist = true;
        st.day = nowSec;
        rolled.day++;
      }
      if (relist) st.dayChunks = st.dayChunks.filter((c) => c === freshDay || (c[1] >= nowSec - DAY_SECONDS && ctx.has(dayPath(c))));
      for (const c of st.dayChunks) if (c !== freshDay) ctx.emit(dayPath(c), ctx.keep);
      // The part's long file: a new one when due (listed at once), the one before kept one more period.
      const longPath = (at: number) => paths.rawChunk(cluster.name, guests[0]!.vmid, paths.longChunkName(p, at));
      let longs = (st.longs ?? []).filter((at) => ctx.has(longPath(at)));
      if (long && (d.long || newGuests)) {
        let body = '';
        for (const g of guests) {
          const v = partOf(g.vmid) === p ? long.get(g.vmid) : undefined;
          if (v) body += `${body ? ',' : ''}"${g.vmid}":${v}`;
        }
        if (body) {
          ctx.emit(longPath(nowSec), `{"v":1,"at":${nowSec},"g":{${body}}}`);
          longs = [...longs.filter((at) => at !== nowSec).slice(-1), nowSec];
        } else longs = [];
        relist = true;
        st.long = nowSec;
        rolled.long++;
      }
      for (const at of longs) if (at !== nowSec || !(long && (d.long || newGuests))) ctx.emit(longPath(at), ctx.keep);
      st.longs = longs;
      listed.push(relist);
      // Chunks of the live release that aged out of the hour (or are gone) are dropped.
      const chunkPath = ([from, to]: [number, number]) => paths.rawChunk(cluster.name, guests[0]!.vmid, paths.rawChunkName(p, from, to));
      st.chunks = st.chunks.filter((c) => c[1] >= nowSec - JSON_RAW_SECONDS && ctx.has(chunkPath(c)));
      let fresh: [number, number] | null = null;
      if (d.raw) {
        const from = Math.max(st.rawCut + 1, nowSec - JSON_RAW_SECONDS);
        if (from <= nowSec) {
          fresh = [from, nowSec];
          st.chunks = [...st.chunks, fresh];
          let body = '';
          for (const g of guests) {
            if (partOf(g.vmid) !== p) continue;
            const w = ctx.cache.get(g.cluster_id, g.vmid);
            const series = encodeWindow(w, from, nowSec + 1);
            if (series) body += `${body ? ',' : ''}"${g.vmid}":${series}`;
          }
          ctx.emit(chunkPath([from, nowSec]), `{"v":1,"from":${from},"to":${nowSec},"g":{${body}}}`);
        }
        st.raw = nowSec;
        st.rawCut = nowSec;
        rolled.raw++;
      }
      for (const c of st.chunks) if (c !== fresh) ctx.emit(chunkPath(c), ctx.keep);
      if (d.html) { st.html = nowSec; rolled.html++; }
    }

    const tasksBy = groupBy(act.tasks, (t) => t.vmid!);
    const actionsBy = groupBy(act.actions, (a) => a.vmid!);
    const inputs: GuestInput[] = [];
    for (const g of guests) {
      const c = cluster.name;
      const due = dues[partOf(g.vmid)]!;
      const now = data.now.get(`${g.cluster_id}/${g.vmid}`);
      const input = { cluster: c, clusterId: cluster.id, guest: g, now, tasks: tasksBy.get(g.vmid) ?? [], actions: actionsBy.get(g.vmid) ?? [], nowSec };
      inputs.push(input);
      const pagePath = paths.guest(c, g.vmid);
      if (due.html || missing(pagePath)) {
        const root = rootOf(pagePath);
        const model = buildGuestPage(input, (p) => root + p, known, clusterSet);
        ctx.emit(pagePath, ctx.render('guest', {
          ...model,
          pressure: buildGuestPressure(data.fidelity?.guestPressure.get(`${g.cluster_id}/${g.vmid}`)), // issue 12 item 2 (fidelity)
          snapshots: buildGuestSnapshots(snaps.get(g.vmid), g.type), // issue 14 item 5 (pages)
          lastBackup: g.template ? null : buildLastBackup(backupOf.get(`${c}/${g.vmid}`)),
          ranges: RANGES.map((r) => r.id),
          layout: buildLayout(frame, pagePath, `${model.name} (${g.vmid})`, {
            crumbs: [['index.html', 'Overview'], [paths.cluster(c), c], [paths.node(c, g.node), g.node]],
            live: false,
            pageData: {
              kind: 'guest',
              // day and long: the part's JSON names its files (read first, see site.js)
              files: { raw: paths.partDataName(partOf(g.vmid)), day: null, long: null, live: root + paths.live(c, bucket) },
              liveKey: String(g.vmid),
              type: g.type,
              annotations: guestAnnotations(input.tasks, input.actions),
              ...guestChartData(c, g, root), // charts (#14) hook
            },
          }),
        }));
      } else ctx.emit(pagePath, ctx.keep);
      pages++;
    }
    // The part's JSON: the part's files and its guests' documents, refreshed with its listing.
    for (let p = 0; p < P; p++) {
      const members = inputs.filter((i) => partOf(i.guest.vmid) === p);
      if (members.length === 0) continue;
      const { chunks, dayChunks, longs = [] } = parts[p]!;
      ctx.emit(partPath(p), listed[p] || missing(partPath(p)) ? buildPartJson(cluster.name, bucket, {
        raw: chunks.map(([a, b]) => paths.rawChunkName(p, a, b)),
        day: dayChunks.map(([a, b]) => paths.dayChunkName(p, a, b)),
        long: longs.length ? paths.longChunkName(p, longs[longs.length - 1]!) : null,
      }, members) : ctx.keep);
    }
    emitLive();
    await ctx.flush?.(paths.guest(cluster.name, guests[0]!.vmid));
    nextStates.set(stateKey, next);
  }
  return { pages, nextStates, rolled };
}

/**
 * Writes the part's next day chunk: the 5-minute points after its newest published one (the whole
 * 24 h the first time). Returns the chunk's [from, to] (to = its newest point), null when the
 * store had no new point. Chunks are immutable: the name says what they hold.
 */
async function emitDayChunk(ctx: GuestRenderContext, clusterId: number, guests: GuestRow[], parts: number, part: number, st: PartState, emit: (c: [number, number], body: string) => void): Promise<[number, number] | null> {
  const q = tierQuery('day', ctx.frame.generatedAt);
  const from = Math.max(st.dayCut + q.group, q.from);
  const series = await queryGuestTierSeries(ctx.db, clusterId, guests[0]!.vmid, guests[guests.length - 1]!.vmid, { ...q, from }, { parts, due: [part] });
  let to = 0;
  let body = '';
  for (const e of series) {
    if (e.i === '') continue;
    const last = from + Number(e.i.slice(e.i.lastIndexOf(',') + 1)) * q.group;
    if (last > to) to = last;
    body += `${body ? ',' : ''}"${e.key}":${seriesJson(e)}`;
  }
  if (to === 0) return null;
  const chunk: [number, number] = [from, to];
  st.dayCut = to;
  st.dayChunks = [...st.dayChunks, chunk];
  emit(chunk, `{"v":1,"from":${from},"to":${to},"g":{${body}}}`);
  return chunk;
}

/**
 * The long series ({"w","m","y"} objects) of a bucket's guests in the parts due (all parts when
 * `part` is undefined), by vmid; null when none is wanted.
 */
async function longSeries(ctx: GuestRenderContext, clusterId: number, guests: GuestRow[], part: { parts: number; due: number[] } | undefined, wanted: boolean): Promise<Map<number, string> | null> {
  if (!wanted) return null;
  const nowSec = ctx.frame.generatedAt;
  const lo = guests[0]!.vmid;
  const hi = guests[guests.length - 1]!.vmid;
  const series: Record<string, Map<string, EncodedSeries>> = {};
  for (const src of ['long.w', 'long.m', 'long.y'] as const) {
    series[src] = new Map((await queryGuestTierSeries(ctx.db, clusterId, lo, hi, tierQuery(src, nowSec), part)).map((e) => [e.key, e]));
  }
  const out = new Map<number, string>();
  for (const g of guests) {
    const k = String(g.vmid);
    const w = series['long.w']!.get(k);
    const m = series['long.m']!.get(k);
    const y = series['long.y']!.get(k);
    if (w || m || y) out.set(g.vmid, `{"w":${w ? seriesJson(w) : 'null'},"m":${m ? seriesJson(m) : 'null'},"y":${y ? seriesJson(y) : 'null'}}`);
  }
  return out;
}

