// Pure: is an action allowed on a guest? Allow rules only; with no rule nothing is allowed.
import type { ActionName, PolicyRule } from '../config/config.schema.ts';

export interface PolicyGuest {
  cluster: string;
  vmid: number;
  tags: readonly string[];
  pool: string | null;
}

export type PolicyDecision = { allowed: true; ruleIndex: number } | { allowed: false; reason: string };

/** Splits a Proxmox tag string ("a;b", older "a,b" or "a b") into tags. */
export function splitTags(tags: string | null | undefined): string[] {
  return (tags ?? '').split(/[;, ]+/).map((t) => t.trim()).filter(Boolean);
}

/** True when the rule grants the action and every selector it gives matches the guest. */
export function ruleMatches(rule: PolicyRule, action: ActionName, g: PolicyGuest): boolean {
  if (!rule.actions.includes(action)) return false;
  if (rule.clusters && !rule.clusters.includes(g.cluster)) return false;
  if (rule.vmids && !rule.vmids.includes(g.vmid)) return false;
  if (rule.tags && !rule.tags.some((t) => g.tags.some((gt) => gt.toLowerCase() === t.toLowerCase()))) return false;
  if (rule.pools && (g.pool === null || !rule.pools.includes(g.pool))) return false;
  return true;
}

/** The first rule allowing the action on the guest, or a readable reason why none does. */
export function checkPolicy(rules: readonly PolicyRule[], action: ActionName, g: PolicyGuest): PolicyDecision {
  if (rules.length === 0) return { allowed: false, reason: 'no action policy is configured (actions.policy is empty), so nothing is allowed' };
  const i = rules.findIndex((r) => ruleMatches(r, action, g));
  if (i >= 0) return { allowed: true, ruleIndex: i };
  const tags = g.tags.length ? g.tags.join(';') : 'none';
  return { allowed: false, reason: `no policy rule allows "${action}" on ${g.cluster}/${g.vmid} (tags: ${tags}, pool: ${g.pool ?? 'none'})` };
}
