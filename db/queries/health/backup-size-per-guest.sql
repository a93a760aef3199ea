-- How large and how long was each guest's latest good backup, and where did it go?
select cluster, vmid, name, last_ok_storage as storage,
       round(last_ok_size_bytes / 1073741824.0, 2) as size_gib,
       last_ok_duration_s as duration_s,
       datetime(last_ok_end, 'unixepoch') as finished_utc
from v_backup_guest
where last_ok_end is not null
order by last_ok_size_bytes desc;
