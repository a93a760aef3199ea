-- The agent's own polls of a cluster are failing: the cluster is unreachable, or its token no
-- longer works. While this fires, every alert of the cluster is muted (their data is stale).
-- severity: critical
-- for: 3m
-- keep-firing-for: 2m
-- labels: cluster
-- mutes: true
-- summary: Polling {{cluster}} fails: {{last_error}}
select cluster, last_error from v_cluster_latest
where last_error is not null and last_poll_at <= :now
