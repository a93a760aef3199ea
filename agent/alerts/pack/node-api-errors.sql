-- API errors of a node: requests about one node failed (595/596 from the proxying node, malformed
-- JSON, an answer too large) in at least 3 of the last 10 successful polls of its cluster, while
-- the cluster's poll itself went on (v_poll_errors: one row per problem per poll). Errors of
-- cluster-wide requests (/cluster/tasks) are one instance with an empty node. A request that failed
-- and then succeeded on a retry is not a problem here (poll_runs.errors counts those).
-- severity: warning
-- for: 5m
-- labels: cluster, node
-- summary: {{failing_polls}} of the last 10 polls of {{cluster}} had API errors {{about}}: {{last_error}}
with last10 as (
  select cluster_id, started_at from (
    select r.cluster_id, r.started_at, row_number() over (partition by r.cluster_id order by r.started_at desc) as n
    from poll_runs r where r.ok = 1 and r.started_at <= :now and r.started_at > :now - 20 * :interval
  ) ranked where n <= 10
), per_node as (
  select e.cluster_id, e.cluster, coalesce(e.node, '') as node, count(distinct e.ts) as failing_polls, max(e.id) as last_id
  from v_poll_errors e join last10 l on l.cluster_id = e.cluster_id and l.started_at = e.ts
  group by e.cluster_id, e.cluster, coalesce(e.node, '')
)
select p.cluster, p.node, p.failing_polls,
       case when p.node = '' then 'in cluster-wide requests' else 'about node ' || p.node end as about,
       (select x.code || ' ' || coalesce(x.path, '') from poll_errors x where x.id = p.last_id) as last_error
from per_node p
where p.failing_polls >= 3
