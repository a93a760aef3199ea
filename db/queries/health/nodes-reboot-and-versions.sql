-- Which nodes need a reboot for a newer kernel (and since when), and do versions differ across a cluster?
select cluster, node, running_kernel, newest_kernel, manager_version, reboot_required,
       round(reboot_pending_s / 86400.0, 1) as reboot_pending_days, version_skew
from v_node_software
order by reboot_required desc, cluster, node;
