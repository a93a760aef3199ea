// Pure: what the token's privileges (GET /access/permissions) mean for polling and for the
// actions the policy allows on one cluster.
import type { ActionName, PolicyRule } from '../config/config.schema.ts';

/** GET /access/permissions for the calling token: path → privilege → 1 (propagates) or 0. */
export type Permissions = Record<string, Record<string, number | boolean>>;

export type FindingLevel = 'ok' | 'warn' | 'error';
export interface Finding {
  level: FindingLevel;
  message: string;
}

interface Need {
  priv: string;
  path: string;
  why: string;
}

/** What polling reads, and the privilege Proxmox checks for it (pve-api.md §1.1, §3, §4, §9). */
export const POLL_NEEDS: readonly Need[] = [
  { priv: 'Sys.Audit', path: '/', why: 'cluster status' },
  { priv: 'Sys.Audit', path: '/nodes', why: 'node status, RRD history and tasks' },
  { priv: 'VM.Audit', path: '/vms', why: 'guests and their status' },
  { priv: 'Datastore.Audit', path: '/storage', why: 'storage usage' },
];

/** The privileges each action needs on the guest (/vms/{vmid}). */
export const ACTION_PRIVILEGES: Record<ActionName, readonly string[]> = {
  start: ['VM.PowerMgmt'],
  shutdown: ['VM.PowerMgmt'],
  stop: ['VM.PowerMgmt'],
  reboot: ['VM.PowerMgmt'],
  reset: ['VM.PowerMgmt'],
  suspend: ['VM.PowerMgmt'],
  resume: ['VM.PowerMgmt'],
  snapshot: ['VM.Snapshot'],
  'delete-snapshot': ['VM.Snapshot'],
  rollback: ['VM.Snapshot', 'VM.Snapshot.Rollback'],
  migrate: ['VM.Migrate'],
};

/** Privileges only actions use; held without an allowed action that needs them, they are a risk. */
const ACTION_ONLY_PRIVILEGES = ['VM.PowerMgmt', 'VM.Snapshot', 'VM.Snapshot.Rollback', 'VM.Migrate'];
/** Privileges pmi-agent never needs; a token holding them could do far more than watch and act. */
const ADMIN_PRIVILEGES = ['Permissions.Modify', 'Sys.Modify', 'Sys.PowerMgmt', 'User.Modify', 'VM.Allocate', 'VM.Config.Disk', 'Datastore.Allocate'];

/**
 * The privileges the token holds on a path: those listed for the path itself, else the
 * propagating ones (value 1) of the nearest listed ancestor — Proxmox lists every path with an
 * ACL and a more specific ACL replaces what an ancestor grants.
 */
export function privilegesAt(perms: Permissions, path: string): Set<string> {
  const own = perms[path];
  if (own) return new Set(Object.keys(own));
  for (let p = parentPath(path); p !== undefined; p = parentPath(p)) {
    const at = perms[p];
    if (at) return new Set(Object.entries(at).filter(([, v]) => v === 1 || v === true).map(([k]) => k));
  }
  return new Set();
}

function parentPath(path: string): string | undefined {
  if (path === '/') return undefined;
  const i = path.lastIndexOf('/');
  return i <= 0 ? '/' : path.slice(0, i);
}

/** Where a rule's guests live in the ACL tree: /vms/{id} per listed vmid, pools, or all of /vms. */
function rulePaths(rule: PolicyRule): string[][] {
  if (rule.vmids) return rule.vmids.map((id) => [`/vms/${id}`]);
  // A pool ACL reaches its members; a /vms ACL reaches every guest. Either is enough.
  if (rule.pools) return rule.pools.map((p) => [`/pool/${p}`, '/vms']);
  return [['/vms']];
}

/** Policy rules that can apply to guests of this cluster, with their index in actions.policy. */
function rulesFor(policy: readonly PolicyRule[], cluster: string): Array<[PolicyRule, number]> {
  return policy.map((r, i) => [r, i] as [PolicyRule, number]).filter(([r]) => !r.clusters || r.clusters.includes(cluster));
}

/**
 * Findings for one cluster: one per missing polling privilege, one per privilege an allowed
 * action lacks (naming the actions and the policy rule), a summary when all is in place, and a
 * least-privilege warning for privileges the token holds but nothing allowed here needs.
 */
export function permissionFindings(perms: Permissions, policy: readonly PolicyRule[], cluster: string): Finding[] {
  const findings: Finding[] = [];
  const has = (priv: string, paths: string[]) => paths.some((p) => privilegesAt(perms, p).has(priv));

  const missingPoll = POLL_NEEDS.filter((n) => !has(n.priv, [n.path]));
  for (const n of missingPoll) findings.push({ level: 'error', message: `polling: missing ${n.priv} on ${n.path} (needed for ${n.why})` });
  if (missingPoll.length === 0) findings.push({ level: 'ok', message: 'polling: Sys.Audit, VM.Audit and Datastore.Audit are granted' });

  // (privilege, where) → actions and rules that need it.
  const missing = new Map<string, { priv: string; where: string; actions: Set<string>; rules: Set<number> }>();
  const allowed = new Set<ActionName>();
  for (const [rule, index] of rulesFor(policy, cluster)) {
    for (const action of rule.actions) {
      // silencing is the agent's own business: no Proxmox privilege
      if (action === 'silence') continue;
      allowed.add(action);
      for (const priv of ACTION_PRIVILEGES[action]) {
        for (const paths of rulePaths(rule)) {
          if (has(priv, paths)) continue;
          const where = paths.join(' or ');
          const key = `${priv}\u0000${where}`;
          const m = missing.get(key) ?? { priv, where, actions: new Set(), rules: new Set() };
          m.actions.add(action);
          m.rules.add(index);
          missing.set(key, m);
        }
      }
    }
  }
  for (const m of missing.values()) {
    const rules = [...m.rules].map((i) => `actions.policy[${i}]`).join(', ');
    findings.push({ level: 'error', message: `actions: missing ${m.priv} on ${m.where} for ${[...m.actions].join(', ')} (allowed by ${rules})` });
  }
  if (allowed.size > 0 && missing.size === 0) {
    findings.push({ level: 'ok', message: `actions: privileges in place for ${[...allowed].join(', ')}` });
  }
  if (allowed.size === 0) {
    findings.push({ level: 'ok', message: 'actions: none allowed by the policy on this cluster; a read-only token is all that is needed' });
  }
  const needed = new Set([...allowed].flatMap((a) => ACTION_PRIVILEGES[a]));
  const extra = [...ACTION_ONLY_PRIVILEGES, ...ADMIN_PRIVILEGES].filter((p) => !needed.has(p) && has(p, ['/', '/vms']));
  if (extra.length > 0) {
    const why = allowed.size === 0 ? 'the policy allows no action on this cluster' : `the allowed actions need only ${[...needed].join(', ')}`;
    findings.push({ level: 'warn', message: `least privilege: the token also holds ${extra.join(', ')}, but ${why}; a narrower role is safer (see README, "API tokens")` });
  }
  return findings;
}

/** The privileges worth showing in a report, per listed path (others counted, not listed). */
export function summarizePrivileges(perms: Permissions): string[] {
  const relevant = new Set([...POLL_NEEDS.map((n) => n.priv), ...Object.values(ACTION_PRIVILEGES).flat()]);
  return Object.keys(perms)
    .sort()
    .flatMap((path) => {
      const privs = Object.keys(perms[path] ?? {});
      if (privs.length === 0) return [];
      const shown = privs.filter((p) => relevant.has(p)).sort();
      const others = privs.length - shown.length;
      return [`${path}: ${shown.join(', ') || '(none relevant)'}${others > 0 ? ` (+${others} other)` : ''}`];
    });
}
