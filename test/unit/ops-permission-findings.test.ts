import { describe, expect, it } from 'vitest';
import { PolicyRule } from '../../agent/config/config.schema.ts';
import { permissionFindings, privilegesAt, summarizePrivileges, type Permissions } from '../../agent/check-config/permission-findings.ts';

const AUDIT: Permissions = { '/': { 'Sys.Audit': 1, 'VM.Audit': 1, 'Datastore.Audit': 1 } };
const OPERATOR: Permissions = { '/': { 'Sys.Audit': 1, 'VM.Audit': 1, 'Datastore.Audit': 1 }, '/vms': { 'VM.Audit': 1, 'VM.PowerMgmt': 1 } };
const rules = (...r: unknown[]) => r.map((x) => PolicyRule.parse(x));

describe('privilegesAt', () => {
  it.each([
    [{ '/': { 'Sys.Audit': 1 } }, '/vms/100', ['Sys.Audit']],
    [{ '/': { 'Sys.Audit': 0 } }, '/vms/100', []],
    [{ '/': { 'Sys.Audit': 0 } }, '/', ['Sys.Audit']],
    [{ '/': { 'Sys.Audit': 1 }, '/vms': { 'VM.Audit': 1 } }, '/vms/100', ['VM.Audit']],
    [{ '/vms/100': { 'VM.PowerMgmt': 0 } }, '/vms/100', ['VM.PowerMgmt']],
    [{ '/vms/100': { 'VM.PowerMgmt': 1 } }, '/vms/101', []],
    [{}, '/', []],
  ] as Array<[Permissions, string, string[]]>)('%j at %s → %j', (perms, path, privs) => {
    expect([...privilegesAt(perms, path)].sort()).toEqual(privs);
  });
});

describe('permissionFindings', () => {
  it.each<[string, Permissions, PolicyRule[], Array<[string, string]>]>([
    ['read-only token, no policy', AUDIT, [], [
      ['ok', 'polling: Sys.Audit, VM.Audit and Datastore.Audit are granted'],
      ['ok', 'actions: none allowed by the policy on this cluster; a read-only token is all that is needed'],
    ]],
    ['nothing granted', {}, [], [
      ['error', 'polling: missing Sys.Audit on / (needed for cluster status)'],
      ['error', 'polling: missing Sys.Audit on /nodes (needed for node status, RRD history and tasks)'],
      ['error', 'polling: missing VM.Audit on /vms (needed for guests and their status)'],
      ['error', 'polling: missing Datastore.Audit on /storage (needed for storage usage)'],
      ['ok', 'actions: none allowed by the policy on this cluster; a read-only token is all that is needed'],
    ]],
    ['only VM.Audit on /vms', { '/vms': { 'VM.Audit': 1 } }, [], [
      ['error', 'polling: missing Sys.Audit on / (needed for cluster status)'],
      ['error', 'polling: missing Sys.Audit on /nodes (needed for node status, RRD history and tasks)'],
      ['error', 'polling: missing Datastore.Audit on /storage (needed for storage usage)'],
      ['ok', 'actions: none allowed by the policy on this cluster; a read-only token is all that is needed'],
    ]],
    ['power actions allowed but read-only token', AUDIT, rules({ actions: ['start', 'stop'] }), [
      ['ok', 'polling: Sys.Audit, VM.Audit and Datastore.Audit are granted'],
      ['error', 'actions: missing VM.PowerMgmt on /vms for start, stop (allowed by actions.policy[0])'],
    ]],
    ['power actions with operator token', OPERATOR, rules({ actions: ['start', 'shutdown'] }), [
      ['ok', 'polling: Sys.Audit, VM.Audit and Datastore.Audit are granted'],
      ['ok', 'actions: privileges in place for start, shutdown'],
    ]],
    ['rollback needs VM.Snapshot.Rollback too', { ...AUDIT, '/vms': { 'VM.Audit': 1, 'VM.Snapshot': 1 } }, rules({ actions: ['snapshot', 'rollback'] }), [
      ['ok', 'polling: Sys.Audit, VM.Audit and Datastore.Audit are granted'],
      ['error', 'actions: missing VM.Snapshot.Rollback on /vms for rollback (allowed by actions.policy[0])'],
    ]],
    ['migrate and snapshot missing, two rules', OPERATOR, rules({ actions: ['migrate'] }, { actions: ['snapshot', 'delete-snapshot'] }), [
      ['ok', 'polling: Sys.Audit, VM.Audit and Datastore.Audit are granted'],
      ['error', 'actions: missing VM.Migrate on /vms for migrate (allowed by actions.policy[0])'],
      ['error', 'actions: missing VM.Snapshot on /vms for snapshot, delete-snapshot (allowed by actions.policy[1])'],
      ['warn', 'least privilege: the token also holds VM.PowerMgmt, but the allowed actions need only VM.Migrate, VM.Snapshot; a narrower role is safer (see README, "API tokens")'],
    ]],
    ['vmid rule checks each guest path', { ...AUDIT, '/vms/100': { 'VM.PowerMgmt': 0 } }, rules({ actions: ['reboot'], vmids: [100, 101] }), [
      ['ok', 'polling: Sys.Audit, VM.Audit and Datastore.Audit are granted'],
      ['error', 'actions: missing VM.PowerMgmt on /vms/101 for reboot (allowed by actions.policy[0])'],
    ]],
    ['pool rule accepts a pool ACL', { ...AUDIT, '/pool/web': { 'VM.PowerMgmt': 1 } }, rules({ actions: ['stop'], pools: ['web', 'db'] }), [
      ['ok', 'polling: Sys.Audit, VM.Audit and Datastore.Audit are granted'],
      ['error', 'actions: missing VM.PowerMgmt on /pool/db or /vms for stop (allowed by actions.policy[0])'],
    ]],
    ['rule for another cluster does not count', AUDIT, rules({ actions: ['stop'], clusters: ['other'] }), [
      ['ok', 'polling: Sys.Audit, VM.Audit and Datastore.Audit are granted'],
      ['ok', 'actions: none allowed by the policy on this cluster; a read-only token is all that is needed'],
    ]],
    ['operator token without any allowed action', OPERATOR, [], [
      ['ok', 'polling: Sys.Audit, VM.Audit and Datastore.Audit are granted'],
      ['ok', 'actions: none allowed by the policy on this cluster; a read-only token is all that is needed'],
      ['warn', 'least privilege: the token also holds VM.PowerMgmt, but the policy allows no action on this cluster; a narrower role is safer (see README, "API tokens")'],
    ]],
    ['administrator token for power actions', { '/': { 'Sys.Audit': 1, 'VM.Audit': 1, 'Datastore.Audit': 1, 'VM.PowerMgmt': 1, 'VM.Migrate': 1, 'Sys.Modify': 1, 'VM.Allocate': 1 } }, rules({ actions: ['stop'] }), [
      ['ok', 'polling: Sys.Audit, VM.Audit and Datastore.Audit are granted'],
      ['ok', 'actions: privileges in place for stop'],
      ['warn', 'least privilege: the token also holds VM.Migrate, Sys.Modify, VM.Allocate, but the allowed actions need only VM.PowerMgmt; a narrower role is safer (see README, "API tokens")'],
    ]],
  ])('%s', (_name, perms, policy, expected) => {
    expect(permissionFindings(perms, policy, 'lab').map((f) => [f.level, f.message])).toEqual(expected);
  });
});

describe('summarizePrivileges', () => {
  it('lists the relevant privileges per path and counts the rest', () => {
    expect(summarizePrivileges({ '/vms': { 'VM.PowerMgmt': 1, 'VM.Console': 1 }, '/': { 'Sys.Audit': 1 }, '/access': {} })).toEqual([
      '/: Sys.Audit',
      '/vms: VM.PowerMgmt (+1 other)',
    ]);
  });
});
