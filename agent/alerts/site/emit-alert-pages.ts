// The site's alert files — alerts.html and the Atom feeds — from the store through the pure models
// and renderers. The current site builder calls this once per build (a few marked lines), so the
// integrator can re-attach it to the rewritten engine as it is.
import type { Kysely } from 'kysely';
import type { Database } from '../../store/schema.ts';
import { activeSilences, alertHistory, alertsDb, firingIntervals, listSilences, loadInstances, recentNotableTransitions } from '../../store/alerts.repository.ts';
import { buildLayout, type SiteFrame } from '../../site/build-layout-model.ts';
import type { Render } from '../../site/render.ts';
import type { StandingSilence } from '../alerts-config.schema.ts';
import { activeStanding } from '../silences.ts';
import { buildAlertFeeds } from './alerts-feed.model.ts';
import { buildAlertsPageModel } from './alerts-page.model.ts';
import { ALERTS_PAGE, buildAlertsStatus, type AlertsStatus } from './alerts-status.model.ts';
import { renderAlertsFeed } from './render-alerts-feed.ts';
import { ALERT_MARKS_DAYS, ALERT_MARKS_LIMIT, buildAlertMarks } from './alert-marks.model.ts'; // charts (#14)
import { ALERT_MARKS_PATH } from '../../site/build-chart-page-data.ts'; // charts (#14)

export { ALERTS_PAGE };

export async function emitAlertPages(p: { db: Kysely<Database>; frame: SiteFrame; render: Render; emit: (path: string, content: string) => void; clusters: readonly string[]; nowSec: number; standing: readonly StandingSilence[] }): Promise<void> {
  const db = alertsDb(p.db);
  for (const f of buildAlertFeeds(await recentNotableTransitions(db, 200), p.clusters, p.frame.siteTitle)) p.emit(f.path, renderAlertsFeed(f));
  const active = await silencesInForce(db, p.nowSec, p.standing);
  const model = buildAlertsPageModel({
    now: p.nowSec, instances: await loadInstances(db), silences: await listSilences(db, p.nowSec - 7 * 86_400), active,
    history: await alertHistory(db, p.nowSec - 7 * 86_400, 500),
  });
  p.emit(ALERT_MARKS_PATH, buildAlertMarks(await firingIntervals(db, p.nowSec - ALERT_MARKS_DAYS * 86_400, ALERT_MARKS_LIMIT))); // charts (#14): alert bands on charts
  p.emit(ALERTS_PAGE, p.render('alerts', { layout: buildLayout(p.frame, ALERTS_PAGE, 'Alerts', { live: false }), ...model }));
}

/** Request silences and standing windows in force now. */
async function silencesInForce(db: ReturnType<typeof alertsDb>, nowSec: number, standing: readonly StandingSilence[]) {
  return [
    ...(await activeSilences(db, nowSec)).map((s) => ({ id: s.id, matchers: s.matchers, endsAt: s.endsAt, reason: s.reason, createdBy: s.createdBy })),
    ...activeStanding(standing, nowSec),
  ];
}

/** The `alerts` part of status.json (the current site builder adds it with one marked line). */
export async function loadAlertsStatus(p: { db: Kysely<Database>; nowSec: number; standing: readonly StandingSilence[] }): Promise<AlertsStatus> {
  const db = alertsDb(p.db);
  return buildAlertsStatus({ instances: await loadInstances(db), active: await silencesInForce(db, p.nowSec, p.standing) });
}
