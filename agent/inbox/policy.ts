// Pure: is an action allowed on a guest for a submitter? Allow rules only; with no rule nothing is allowed.
import type { ActionName, PolicyRule, PolicyVerb } from '../config/config.schema.ts';
import type { Submitter } from './submitter.ts';

export interface PolicyGuest {
  cluster: string;
  vmid: number;
  tags: readonly string[];
  pool: string | null;
}

/** Who asks: uid, user name, group ids and names (see submitter.ts). */
export type PolicySubmitter = Pick<Submitter, 'uid' | 'user' | 'gids' | 'groups'>;

export type PolicyDecision = { allowed: true; ruleIndex: number } | { allowed: false; reason: string };

/** Splits a Proxmox tag string ("a;b", older "a,b" or "a b") into tags. */
export function splitTags(tags: string | null | undefined): string[] {
  return (tags ?? '').split(/[;, ]+/).map((t) => t.trim()).filter(Boolean);
}

const isId = (v: string | number) => typeof v === 'number' || /^\d+$/.test(v);

function userMatches(users: readonly (string | number)[], s: PolicySubmitter): boolean {
  return users.some((u) => (isId(u) ? s.uid !== null && Number(u) === s.uid : s.user !== null && u === s.user));
}

function groupMatches(groups: readonly (string | number)[], s: PolicySubmitter): boolean {
  return groups.some((g) => (isId(g) ? (s.gids ?? []).includes(Number(g)) : (s.groups ?? []).includes(String(g))));
}

/** True when the rule's users and groups (where given) match the submitter. */
export function submitterMatches(rule: PolicyRule, s: PolicySubmitter): boolean {
  if (rule.users && !userMatches(rule.users, s)) return false;
  if (rule.groups && !groupMatches(rule.groups, s)) return false;
  return true;
}

/** True when the rule grants the action and every selector it gives matches the guest and the submitter. */
export function ruleMatches(rule: PolicyRule, action: PolicyVerb, g: PolicyGuest, s: PolicySubmitter = { uid: null, user: null }): boolean {
  if (!rule.actions.includes(action)) return false;
  if (rule.clusters && !rule.clusters.includes(g.cluster)) return false;
  if (rule.vmids && !rule.vmids.includes(g.vmid)) return false;
  if (rule.tags && !rule.tags.some((t) => g.tags.some((gt) => gt.toLowerCase() === t.toLowerCase()))) return false;
  if (rule.pools && (g.pool === null || !rule.pools.includes(g.pool))) return false;
  return submitterMatches(rule, s);
}

/** The first rule allowing the action on the guest for the submitter, or a readable reason why none does. */
export function checkPolicy(rules: readonly PolicyRule[], action: ActionName, g: PolicyGuest, s: PolicySubmitter = { uid: null, user: null }): PolicyDecision {
  if (rules.length === 0) return { allowed: false, reason: 'no action policy is configured (actions.policy is empty), so nothing is allowed' };
  const i = rules.findIndex((r) => ruleMatches(r, action, g, s));
  if (i >= 0) return { allowed: true, ruleIndex: i };
  const tags = g.tags.length ? g.tags.join(';') : 'none';
  const who = `${s.user ?? (s.uid === null ? 'unknown user' : `uid ${s.uid}`)}${s.groups?.length ? ` (groups ${s.groups.join(', ')})` : ''}`;
  return { allowed: false, reason: `no policy rule allows "${action}" on ${g.cluster}/${g.vmid} (tags: ${tags}, pool: ${g.pool ?? 'none'}) for ${who}` };
}

/** One line per rule: who may do what where (check-config prints it). Pure. */
export function describePolicy(rules: readonly PolicyRule[]): string[] {
  if (rules.length === 0) return ['actions.policy is empty: nobody may do anything'];
  const list = (xs: readonly (string | number)[]) => xs.join(', ');
  return rules.map((r, i) => {
    const who = [r.users ? `users ${list(r.users)}` : '', r.groups ? `members of ${list(r.groups)}` : ''].filter(Boolean).join(' who are in ') || 'every member of the submit group';
    const where = [
      r.clusters ? `clusters ${list(r.clusters)}` : 'every cluster',
      r.vmids ? `vmids ${list(r.vmids)}` : '',
      r.tags ? `guests tagged ${list(r.tags)}` : '',
      r.pools ? `pools ${list(r.pools)}` : '',
    ].filter(Boolean).join(', ');
    return `actions.policy[${i}]: ${who} may ${list(r.actions)} on ${where}`;
  });
}
