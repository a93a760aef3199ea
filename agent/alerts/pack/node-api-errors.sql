-- API errors while polling: requests failed (and were retried) in at least 3 of the last 10
-- polls of a cluster, although the polls themselves succeeded. Per cluster: the database has no
-- per-node API error view yet (poll_runs counts failed requests per cluster), so the node is
-- not named here.
-- severity: warning
-- for: 5m
-- labels: cluster
-- summary: {{failing_polls}} of the last 10 polls of {{cluster}} had API errors
select cluster, count(*) as failing_polls from (
  select r.cluster, r.errors, row_number() over (partition by r.cluster_id order by r.started_at desc) as n
  from v_poll_runs r where r.started_at <= :now and r.started_at > :now - 20 * :interval and r.ok = 1
) last10
where n <= 10 and errors > 0
group by cluster
having count(*) >= 3
