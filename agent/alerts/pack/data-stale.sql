-- Data stale: the newest samples of a cluster are older than five poll intervals, although the
-- agent is running this rule (so it is alive): polls are skipped, hang, or store nothing.
-- severity: warning
-- for: 0
-- labels: cluster
-- summary: The data of {{cluster}} is {{age_s}} s old
select cluster, :now - last_sample_ts as age_s from v_cluster_latest
where last_sample_ts is not null and :now - last_sample_ts > 5 * :interval
