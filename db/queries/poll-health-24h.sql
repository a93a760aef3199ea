-- Is polling healthy? Per cluster over the last 24 h: runs, failures, slowest and average run,
-- API requests per run and the endpoints used.
select cluster, count(*) as runs, sum(1 - ok) as failed_runs, sum(errors) as request_errors,
       round(avg(duration_ms)) as avg_ms, max(duration_ms) as max_ms,
       round(avg(requests), 1) as requests_per_run,
       group_concat(distinct endpoint) as endpoints
from v_poll_runs
where started_at >= (select max(last_sample_ts) from clusters) - 86400
group by cluster
order by failed_runs desc, cluster;
