-- Which health signals can the token not read (or failed), and which pveum line grants what is missing?
select cluster, signal, coalesce(node, '(cluster)') as node, state, privilege, acl_path, grant_command,
       datetime(last_ok, 'unixepoch') as last_ok_utc, message
from v_health_coverage
where state <> 'ok'
order by cluster, signal, node;
