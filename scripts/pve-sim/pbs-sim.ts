// A Proxmox Backup Server simulator (#15, optional PBS datastores): HTTPS on loopback with the
// simulator's node certificate (pinnable by the same fingerprint), API-token auth, and the three
// read-only calls the agent makes. Test states: a group whose last snapshot failed verification,
// a group with no backup for days, and a datastore the token may not audit (403).
//
// Source notes (proxmox/proxmox-backup, read through the search tool):
// - pbs-api-types/src/datastore.rs: GroupListItem (flattened BackupGroup "backup-type"
//   vm|ct|host, "backup-id"; "last-backup" epoch s, "backup-count", files[], owner?, comment?);
//   SnapshotListItem (flattened BackupDir: "backup-type", "backup-id", "backup-time"; comment?,
//   verification? = SnapshotVerifyState { upid, state: "ok" | "failed" }, fingerprint?, files[]
//   of BackupContent { filename, size?, crypt-mode? }, size?, owner?, protected); the datastore
//   list entries are { store, comment?, maintenance? }.
// - src/api2/admin/datastore.rs: list_groups / list_snapshots need Datastore.Audit or
//   Datastore.Backup on /datastore/{store} (anyof; with Backup only the token's own groups);
//   GET /admin/datastore lists only the stores the token may see. A refused check answers
//   403 "permission check failed".
// - Token auth header: `Authorization: PBSAPIToken=<user@realm!name>:<secret>` (a colon, where
//   PVE has "=") — pbs-client / proxmox-auth-api.
import https from 'node:https';
import type { ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getNodeCert } from './certs.ts';

export interface PbsSnapshot {
  time: number;
  size: number;
  verify?: 'ok' | 'failed';
}
export interface PbsGroup {
  type: 'vm' | 'ct' | 'host';
  id: string;
  owner: string;
  snapshots: PbsSnapshot[];
}
export interface PbsStore {
  name: string;
  comment?: string;
  /** false: the token lacks DatastoreAudit here (403 on its calls, missing from the list). */
  audit: boolean;
  groups: PbsGroup[];
}

export interface PbsSimOptions {
  now: () => number;
  tokenId?: string;
  tokenSecret?: string;
  stores?: PbsStore[];
}

export interface PbsSimHandle {
  url: string;
  fingerprint: string;
  tokenId: string;
  tokenSecret: string;
  stores: PbsStore[];
  requests: Record<string, number>;
  stop(): Promise<void>;
}

const DAY = 86_400;

/** The test states around `nowSec`: store "main" (a failed verification, a guest silent for 5 days), store "secret" (no audit right). */
export function defaultPbsStores(nowSec: number): PbsStore[] {
  const daily = (days: number, size: number, lastVerify: 'ok' | 'failed' | undefined, offsetDays = 0): PbsSnapshot[] =>
    Array.from({ length: days }, (_, i) => ({ time: nowSec - (offsetDays + days - 1 - i) * DAY - 3 * 3600, size: size + i * 1000, verify: i === days - 1 ? lastVerify : 'ok' }));
  return [
    {
      name: 'main', comment: 'nightly', audit: true,
      groups: [
        { type: 'vm', id: '101', owner: 'backup@pbs', snapshots: daily(3, 2_000_000_000, 'ok') },
        { type: 'vm', id: '102', owner: 'backup@pbs', snapshots: daily(3, 3_000_000_000, 'failed') },
        { type: 'ct', id: '103', owner: 'backup@pbs', snapshots: daily(2, 500_000_000, 'ok', 5) },
        { type: 'vm', id: '104', owner: 'backup@pbs', snapshots: daily(1, 1_000_000_000, undefined) },
      ],
    },
    { name: 'secret', audit: false, groups: [{ type: 'host', id: 'fileserver', owner: 'root@pam', snapshots: daily(1, 10_000_000, 'ok') }] },
  ];
}

export async function startPbsSimulator(o: PbsSimOptions): Promise<PbsSimHandle> {
  const cert = await getNodeCert();
  const tokenId = o.tokenId ?? 'pmi@pbs!monitor';
  const tokenSecret = o.tokenSecret ?? '6f1c2a5e-pbs-sim-secret';
  const stores = o.stores ?? defaultPbsStores(Math.floor(o.now() / 1000));
  const requests: Record<string, number> = {};
  const send = (res: ServerResponse, status: number, body: unknown, message?: string) => {
    res.writeHead(status, message ?? (status === 200 ? 'OK' : 'error'), { 'content-type': 'application/json;charset=UTF-8' });
    res.end(JSON.stringify(body));
  };
  const server = https.createServer({ key: cert.key, cert: cert.cert }, (req, res) => {
    const url = new URL(req.url ?? '/', 'https://pbs');
    const path = url.pathname.replace(/^\/api2\/json/, '');
    requests[path] = (requests[path] ?? 0) + 1;
    if (req.headers.authorization !== `PBSAPIToken=${tokenId}:${tokenSecret}`) return send(res, 401, { data: null }, 'authentication failed - invalid token');
    if (req.method !== 'GET') return send(res, 501, { data: null }, 'not implemented');
    if (path === '/admin/datastore') return send(res, 200, { data: stores.filter((s) => s.audit).map((s) => ({ store: s.name, ...(s.comment ? { comment: s.comment } : {}) })) });
    const m = /^\/admin\/datastore\/([^/]+)\/(groups|snapshots)$/.exec(path);
    const store = m && stores.find((s) => s.name === decodeURIComponent(m[1]!));
    if (!m || !store) return send(res, 404, { data: null }, 'no such datastore');
    if (!store.audit) return send(res, 403, { data: null }, 'permission check failed');
    if (m[2] === 'groups') {
      return send(res, 200, {
        data: store.groups.map((g) => ({
          'backup-type': g.type, 'backup-id': g.id, 'last-backup': Math.max(...g.snapshots.map((s) => s.time)), 'backup-count': g.snapshots.length,
          files: ['index.json.blob', g.type === 'vm' ? 'drive-scsi0.img.fidx' : 'root.pxar.didx'], owner: g.owner,
        })),
      });
    }
    return send(res, 200, {
      data: store.groups.flatMap((g) => g.snapshots.map((s) => ({
        'backup-type': g.type, 'backup-id': g.id, 'backup-time': s.time, size: s.size, owner: g.owner, protected: false,
        files: [{ filename: 'index.json.blob', size: 512, 'crypt-mode': 'none' }],
        ...(s.verify ? { verification: { state: s.verify, upid: `UPID:pbs:00001234:00005678:00000001:${s.time.toString(16).toUpperCase()}:verificationjob:${store.name}:root@pam:` } } : {}),
      }))),
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `https://127.0.0.1:${port}`, fingerprint: cert.fingerprint, tokenId, tokenSecret, stores, requests,
    stop: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
