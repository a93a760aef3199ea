-- Which guests changed in the last 7 days (moved node, renamed, resized, tagged, locked,
-- created or removed)? guests.changed_at moves only when an inventory field changes.
select c.name as cluster, g.vmid, g.name, g.node, g.status, g.tags, g.lock,
       datetime(g.first_seen, 'unixepoch') as first_seen_utc,
       datetime(g.changed_at, 'unixepoch') as changed_utc,
       datetime(g.removed_at, 'unixepoch') as removed_utc
from guests g join clusters c on c.id = g.cluster_id
where g.changed_at >= (select max(last_sample_ts) from clusters) - 7 * 86400
order by g.changed_at desc;
