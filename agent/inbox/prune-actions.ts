// Retention (actions.retentionDays): finished action rows and their result files older than the
// cut-off go, in small batches so neither the database nor the disk is held for long; result files
// with no row left (written before a database was replaced) go by their age.
import { lstat, readdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { deleteActions, listExpiredActions } from '../store/action-retention.repository.ts';
import type { InboxDatabase } from './action.repository.ts';
import type { Kysely } from 'kysely';
import type { Maildir } from './maildir.ts';

export const PRUNE_BATCH = 200;

export interface PruneResult {
  rows: number;
  files: number;
}

const yieldTurn = () => new Promise<void>((r) => setImmediate(r));

/**
 * Prunes rows and result files finished before now − retentionDays. Stops early when `stopping()`.
 * In a fleet (`agentId`, #17) a row another agent took in names a result file in that agent's
 * inbox, not this one (where the same name may be someone else's result): the row goes, and the
 * file is left to that agent's own pass over its folders by age.
 */
export async function pruneActions(deps: { db: Kysely<InboxDatabase>; md: Maildir; nowMs: number; retentionDays: number; stopping?: () => boolean; agentId?: string }): Promise<PruneResult> {
  const cutoffMs = deps.nowMs - deps.retentionDays * 86_400_000;
  const out: PruneResult = { rows: 0, files: 0 };
  for (;;) {
    const rows = await listExpiredActions(deps.db, Math.floor(cutoffMs / 1000), PRUNE_BATCH);
    if (rows.length === 0) break;
    // The file first: a crash in between leaves a row without a file (pruned next time), never a
    // result file nobody accounts for.
    const ours = (r: { received_by: string | null }) => deps.agentId === undefined || r.received_by === deps.agentId;
    for (const r of rows) if (r.result_file && ours(r) && (await removeResult(deps.md, r.result_file))) out.files++;
    out.rows += await deleteActions(deps.db, rows.map((r) => r.id));
    if (deps.stopping?.()) return out;
    if (rows.length < PRUNE_BATCH) break;
    await yieldTurn();
  }
  for (const folder of ['done', 'failed', 'rejected'] as const) {
    const names = await readdir(deps.md.path(folder)).catch(() => [] as string[]);
    for (let i = 0; i < names.length; i += PRUNE_BATCH) {
      for (const n of names.slice(i, i + PRUNE_BATCH)) {
        const st = await lstat(deps.md.path(folder, n)).catch(() => undefined);
        if (st?.isFile() && st.mtimeMs < cutoffMs && (await removeResult(deps.md, `${folder}/${n}`))) out.files++;
      }
      if (deps.stopping?.()) return out;
      await yieldTurn();
    }
  }
  return out;
}

async function removeResult(md: Maildir, rel: string): Promise<boolean> {
  const [folder, name] = rel.split('/');
  if (!name || !['done', 'failed', 'rejected'].includes(folder!) || name.includes('/')) return false;
  try {
    await unlink(join(md.root, folder!, name));
    return true;
  } catch {
    return false;
  }
}
