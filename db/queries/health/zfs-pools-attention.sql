-- Which ZFS pools are not ONLINE, have read/write/checksum errors, or were not scrubbed for 35 days?
select cluster, node, pool, health, read_errors, write_errors, cksum_errors,
       round(scrub_age_s / 86400.0, 1) as days_since_scrub, errors, scan
from v_zfs_pool_latest
where health <> 'ONLINE' or total_errors > 0 or scrub_age_s > 35 * 86400 or last_scrub_end is null
order by health <> 'ONLINE' desc, total_errors desc;
