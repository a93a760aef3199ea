-- Which HA services, fenced nodes, Ceph health checks and replication jobs are not healthy right now?
select cluster, 'ha service' as what, sid as name, state as detail from v_ha_service_latest where failing = 1
union all
select cluster, 'ha node', node, 'fenced' from v_ha_node_latest where fenced = 1
union all
select cluster, 'ceph', health, checks from v_ceph_latest where health <> 'HEALTH_OK'
union all
select cluster, 'replication', job_id, fail_count || ' failures: ' || coalesce(error, '') from v_replication_latest where failing = 1
order by cluster, what;
