-- Storage replication job failing.
-- severity: warning
-- for: 15m
-- labels: cluster, job_id
-- summary: Replication {{job_id}} of {{cluster}} fails ({{fail_count}} times): {{error}}
select cluster, job_id, fail_count, coalesce(error, '') as error from v_replication_latest where failing = 1
