// The attention list's hook into the site engine (issue #14 items 1 and 8), pure: the collected
// site data in → the attention input and the overview's storage rows out. Kept apart from
// build-attention-model.ts so that module only knows plain rows.
import { buildHealthAttention, EMPTY_HEALTH } from '../health/build-health-model.ts';
import { attentionForPage, buildAttention, DEFAULT_THRESHOLDS, type AttentionModel } from './build-attention-model.ts';
import type { SiteFrame } from './build-layout-model.ts';
import type { buildStorageRows } from './build-fleet-model.ts';
import type { SiteData } from './collect-site-data.ts';

type StorageRowVM = ReturnType<typeof buildStorageRows>[number];

/** The overview's attention list for a page whose way back to the site root is `root`. */
export function buildSiteAttention(d: SiteData, frame: SiteFrame, root: string): AttentionModel {
  // Firing alerts that nobody needs to act on (muted upstream, or silenced) do not count.
  const firing = (d.alerts?.firing ?? []).filter((f) => f.muted === null && f.silenced === null);
  // A guest whose cluster's backup jobs were never read (health off, or not read yet) has in_job
  // null: "no successful backup known" would be said of every guest, which is noise, not a
  // finding. The Backups page still shows them.
  const health = d.health ?? EMPTY_HEALTH;
  const model = buildAttention({
    ...d,
    ...(d.attention ?? { failedTasks: [], unexplainedStops: [], storageTrend: [] }),
    pollErrors: d.fidelity?.pollErrors ?? [],
    health: buildHealthAttention({ ...health, backupGuests: health.backupGuests.filter((g) => g.in_job !== null) }),
    alerts: d.alerts ? { firing: firing.length, critical: firing.filter((f) => f.severity === 'critical').length } : null,
    now: frame.generatedAt,
    staleAfterSeconds: frame.staleAfterIntervals * frame.pollIntervalSeconds,
    recentSeconds: 2 * frame.pollIntervalSeconds,
    thresholds: d.thresholds ?? DEFAULT_THRESHOLDS,
  });
  return attentionForPage(model, root);
}

/**
 * Fleet-wide storage tables list a shared storage once per cluster (its fullest node row, node
 * shown as "shared"): the same NFS export is not four storages.
 */
export function sharedStorageOnce(rows: StorageRowVM[]): StorageRowVM[] {
  const out: StorageRowVM[] = [];
  const shared = new Map<string, number>();
  for (const r of rows) {
    if (!r.shared) {
      out.push(r);
      continue;
    }
    const k = `${r.cluster}/${r.storage}`;
    const at = shared.get(k);
    const row = { ...r, node: 'shared', nodeHref: r.clusterHref };
    if (at === undefined) {
      shared.set(k, out.length);
      out.push(row);
    } else if (Number(r.pct.v) > Number(out[at]!.pct.v)) out[at] = row;
  }
  return out;
}
