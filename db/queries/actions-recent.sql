-- What was requested through the inbox lately, by whom, and how did it end?
select id, cluster, vmid, action, submitter, state, outcome, error_code,
       datetime(received_at, 'unixepoch') as received_utc, duration_s, task_status, message
from v_actions
order by received_at desc
limit 50;
