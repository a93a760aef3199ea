-- Which node certificates expire within 30 days?
select cluster, node, filename, subject, datetime(notafter, 'unixepoch') as expires_utc,
       round(expires_in_s / 86400.0, 1) as days_left
from v_certificate_latest
where expires_in_s < 30 * 86400
order by expires_in_s;
