-- How full are the LVM-thin pools' data and metadata, and how fast did metadata grow over 7 days?
select p.cluster, p.node, p.vg || '/' || p.lv as pool,
       round(100 * p.data_fraction, 1) as data_pct,
       round(100 * p.metadata_fraction, 1) as metadata_pct,
       round(100.0 * (p.metadata_used_bytes - (
         select s.metadata_used_bytes from v_lvm_thin_series s
         where s.cluster = p.cluster and s.node = p.node and s.vg = p.vg and s.lv = p.lv
           and s.ts >= (select max(last_sample_ts) from clusters) - 7 * 86400
         order by s.ts limit 1)) / p.metadata_size_bytes, 2) as metadata_growth_pct_7d
from v_lvm_thin_latest p
order by p.metadata_fraction desc;
