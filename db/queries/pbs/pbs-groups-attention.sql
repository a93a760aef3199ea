-- Which Proxmox Backup Server groups need attention: the newest snapshot failed or never had its
-- verification, or no backup for more than 26 hours?
select server, store, backup_type, backup_id, datetime(last_backup, 'unixepoch') as last_backup_utc,
       round(age_s / 3600.0, 1) as age_h, coalesce(verify_state, 'not verified') as verification
from v_pbs_group
where verify_state is null or verify_state <> 'ok' or age_s > 26 * 3600
order by verify_state = 'failed' desc, age_s desc;
