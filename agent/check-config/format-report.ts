// Pure: the check-config report as text for a terminal.
import type { CheckReport } from './check-config.ts';
import type { EndpointCheck, TlsStatus } from './check-cluster.ts';
import type { FindingLevel } from './permission-findings.ts';

const MARK: Record<FindingLevel, string> = { ok: 'ok   ', warn: 'WARN ', error: 'ERROR' };

function tlsText(t: TlsStatus): string {
  switch (t.kind) {
    case 'pinned':
      return `pinned fingerprint OK (${t.fingerprint})${t.caFile ? ` and verified against CA ${t.caFile}` : ''}`;
    case 'ca':
      return `verified against CA ${t.caFile}`;
    case 'insecure':
      return 'NOT verified ("insecure": true)';
    case 'mismatch':
      return `fingerprint MISMATCH: expected ${t.expected}, seen ${t.seen ?? '(none)'}`;
    case 'failed':
      return `failed: ${t.message}`;
    case 'not-reached':
      return 'not reached';
  }
}

function endpointLine(e: EndpointCheck, product = 'PVE'): string {
  const state = e.ok ? `reachable, ${product} ${e.version ?? '?'}` : `NOT usable (${e.error?.code ?? 'error'})`;
  return `    ${e.url}: ${state}; TLS ${tlsText(e.tls)}`;
}

/** The human report: the folders, then per cluster its endpoints, TLS, what it is, the token's privileges and every finding, then per PBS server its endpoints and datastores, then a verdict line. */
export function formatReport(report: CheckReport): string {
  const lines: string[] = [`config ${report.configPath}: valid`, ''];
  let errors = 0;
  let warnings = 0;
  const count = (level: FindingLevel) => {
    if (level === 'error') errors++;
    if (level === 'warn') warnings++;
  };
  lines.push('folders:');
  for (const f of report.paths) {
    count(f.level);
    lines.push(`    ${MARK[f.level]} ${f.message}`);
  }
  lines.push('');
  if (report.policy) lines.push('actions policy (who may do what where):', ...report.policy.map((l) => `    ${l}`), '');
  for (const c of report.clusters) {
    lines.push(`cluster "${c.name}" (token ${c.tokenId})`);
    if (c.endpoints.length) lines.push('  endpoints:', ...c.endpoints.map((e) => endpointLine(e)));
    if (c.status) {
      const what = c.status.pveName ? `PVE cluster "${c.status.pveName}", quorate: ${c.status.quorate ? 'yes' : 'NO'}` : 'standalone node';
      lines.push(`  ${what}; nodes online ${c.status.online}/${c.status.nodes}`);
    }
    if (c.privileges) lines.push('  token privileges:', ...(c.privileges.length ? c.privileges.map((p) => `    ${p}`) : ['    (none)']));
    lines.push('  findings:');
    for (const f of c.findings) {
      count(f.level);
      lines.push(`    ${MARK[f.level]} ${f.message}`);
    }
    lines.push('');
  }
  // optional PBS (#15): what the token reads on each datastore
  for (const p of report.pbs) {
    lines.push(`PBS server "${p.name}" (token ${p.tokenId})`);
    if (p.endpoints.length) lines.push('  endpoints:', ...p.endpoints.map((e) => endpointLine(e, 'PBS,')));
    lines.push('  findings:');
    for (const f of p.findings) {
      count(f.level);
      lines.push(`    ${MARK[f.level]} ${f.message}`);
    }
    lines.push('');
  }
  const pbsChecked = report.pbs.length ? `, ${report.pbs.length} PBS server${report.pbs.length === 1 ? '' : 's'}` : '';
  lines.push(
    errors > 0
      ? `FAILED: ${errors} problem${errors === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'}`
      : `OK: ${report.clusters.length} cluster${report.clusters.length === 1 ? '' : 's'}${pbsChecked} checked, ${warnings} warning${warnings === 1 ? '' : 's'}`,
  );
  return lines.join('\n') + '\n';
}
