-- LVM-thin pool metadata at or above 80 % (a full metadata volume takes the pool down).
-- severity: warning
-- for: 10m
-- labels: cluster, node, vg, lv
-- summary: Thin pool {{vg}}/{{lv}} on {{node}} of {{cluster}}: metadata {{pct}} % full
select cluster, node, vg, lv, round(metadata_fraction * 100, 1) as pct from v_lvm_thin_latest where metadata_fraction >= 0.8
