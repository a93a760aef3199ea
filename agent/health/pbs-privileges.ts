// What a PBS token needs (#15, optional PBS): DatastoreAudit on /datastore/{store}, read-only, and
// the proxmox-backup-manager line that grants it. The agent page shows the same line from the
// view v_pbs_coverage (grant_command, migration 0067), which SQL builds itself; keep both alike.

/** The line that lets a token read one datastore's groups and snapshots (list_groups / list_snapshots need Datastore.Audit). */
export function pbsGrant(store: string, tokenId: string): string {
  return `proxmox-backup-manager acl update /datastore/${store} DatastoreAudit --auth-id '${tokenId}'`;
}
