// Token privileges (pve-api.md §1.1, §1.3): an ACL map path → privileges, checked on the path and
// its ancestors (every grant propagates). Missing privileges give Proxmox's 403 status line;
// list endpoints silently drop the entries the token may not see.
import { SimHttpError } from './http-error.ts';

export type Privileges = Record<string, readonly string[]>;

/** What a monitoring-and-actions token needs (no Sys.Modify); the default token holds these on "/". */
export const ALL_PRIVILEGES = ['Sys.Audit', 'VM.Audit', 'VM.PowerMgmt', 'VM.Snapshot', 'VM.Snapshot.Rollback', 'VM.Migrate', 'Datastore.Audit', 'Pool.Audit'] as const;

export const FULL_PRIVILEGES: Privileges = { '/': ALL_PRIVILEGES };

function ancestors(path: string): string[] {
  const parts = path.split('/').filter(Boolean);
  const out = ['/'];
  for (let i = 1; i <= parts.length; i++) out.push(`/${parts.slice(0, i).join('/')}`);
  return out;
}

/**
 * Whether the privileges grant `priv` on `path` (directly or through an ancestor). A key ending
 * in "!" ("/!") is an ACL without propagation: it grants on exactly that path, not below it.
 */
export function allowed(privs: Privileges, path: string, priv: string): boolean {
  return privs[`${path}!`]?.includes(priv) === true || ancestors(path).some((p) => privs[p]?.includes(priv));
}

/** Throws 403 "Permission check failed (<path>, <priv>)" when not allowed. */
export function requirePriv(privs: Privileges, path: string, priv: string): void {
  if (!allowed(privs, path, priv)) throw new SimHttpError(403, `Permission check failed (${path}, ${priv})`);
}

/** The body of GET /access/permissions: path → privilege → 1 (propagate) or 0 (this path only, keys ending in "!"). */
export function permissionsView(privs: Privileges): Record<string, Record<string, number>> {
  const out: Record<string, Record<string, number>> = {};
  for (const [key, list] of Object.entries(privs)) {
    const exact = key.endsWith('!') && key.length > 1;
    const path = exact ? key.slice(0, -1) : key;
    const at = (out[path] ??= {});
    for (const p of list) at[p] = Math.max(at[p] ?? 0, exact ? 0 : 1);
  }
  return out;
}
