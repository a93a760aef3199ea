-- A node certificate expires within 21 days.
-- severity: warning
-- for: 0
-- labels: cluster, node, filename
-- summary: Certificate {{filename}} of {{node}} ({{cluster}}) expires in {{days}} days
select cluster, node, filename, round(expires_in_s / 86400.0, 1) as days from v_certificate_latest where expires_in_s < 21 * 86400
