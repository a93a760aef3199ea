// Where each page and data file lives in the site. Names from Proxmox (node, storage) are
// untrusted, so they are reduced to a safe file-name form before they touch a path.
import { createHash } from 'node:crypto';

/** Guests are grouped in buckets of 100 vmids ("1xx" holds 100–199): the unit of publishing. */
export function bucketOf(vmid: number): string {
  return `${Math.floor(vmid / 100)}xx`;
}

/** A file-name-safe form of an untrusted name; a short hash keeps altered names distinct. */
export function slug(name: string): string {
  const safe = name.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '_').slice(0, 64);
  if (safe === name && safe.length > 0) return safe;
  return `${safe || 'x'}-${createHash('sha1').update(name).digest('hex').slice(0, 8)}`;
}

export const paths = {
  overview: 'index.html',
  storage: 'storage.html',
  tasks: 'tasks.html',
  actions: 'actions.html',
  agent: 'agent.html',
  backups: 'backups.html', // health (#15) hook
  clustersIndex: 'clusters.html', // attention (#14 item 8)
  nodesIndex: 'nodes.html', // attention (#14 item 8)
  guestsIndex: 'guests.html', // attention (#14 item 8)
  searchIndex: 'search.json', // attention (#14 item 8): the fleet-wide search reads it
  status: 'status.json',
  cluster: (c: string) => `clusters/${c}.html`,
  node: (c: string, node: string) => `nodes/${c}/${slug(node)}.html`,
  nodeData: (c: string, node: string) => `data/nodes/${c}/${slug(node)}.json`,
  nodeSeries: (c: string, node: string, tier: 'day' | 'long') => `data/tiers/${c}/${slug(node)}.${tier}.json`, // one unit per cluster (release-manifest.ts)
  storageSeries: 'data/storage.day.json',
  // issue 14 item 5 (pages): cluster chart files
  clusterData: (c: string) => `data/clusters/${c}.json`,
  clusterSeries: (c: string, tier: 'day' | 'long') => `data/clusters/${c}.${tier}.json`,
  live: (c: string, bucket: string) => `data/live/${c}/${bucket}.json`,
  guest: (c: string, vmid: number) => `g/${c}/${bucketOf(vmid)}/${vmid}.html`,
  /** The JSON of one part of a bucket: its guests' documents and the part's history files. */
  partDataName: (part: number) => `p${part}.json`,
  /** Raw samples [from, to] of one part of a bucket: written once, never changed. */
  rawChunkName: (part: number, from: number, to: number) => `r${part}.${from}-${to}.json`,
  /** 5-minute points [from, to] of one part of a bucket (24 h range): written once, never changed. */
  dayChunkName: (part: number, from: number, to: number) => `d${part}.${from}-${to}.json`,
  /** 7 d / 30 d / 1 y series of one part of a bucket, made at `at`: written once, never changed. */
  longChunkName: (part: number, at: number) => `l${part}.${at}.json`,
  rawChunk: (c: string, vmid: number, name: string) => `g/${c}/${bucketOf(vmid)}/${name}`,
};

/** The relative prefix from a page at `path` back to the site root ("" or "../../"). */
export function rootOf(path: string): string {
  const depth = path.split('/').length - 1;
  return '../'.repeat(depth);
}

/** Links from the page at `path`: every href is relative, so the site works under any prefix. */
export function hrefFrom(path: string): (p: string) => string {
  const root = rootOf(path);
  return (p) => root + p;
}
