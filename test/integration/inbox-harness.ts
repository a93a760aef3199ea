// Shared by the inbox integration tests, the crash-test runner and the benchmark: a simulator, a
// database whose inventory mirrors the simulator's world, real PVE clients and helpers to drop
// request files the Maildir way and wait for their outcome.
import { mkdtemp, readFile, readdir, rename, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Kysely } from 'kysely';
import type { z } from 'zod';
import pino, { type Logger } from 'pino';
import { ActionName, ActionsConfig, type ClusterConfig } from '../../agent/config/config.schema.ts';
import { createPveClient } from '../../agent/pve/pve-client.ts';
import type { PveClient } from '../../agent/pve/pve-client.types.ts';
import { openDatabase, type Store } from '../../agent/store/open-database.ts';
import type { Database } from '../../agent/store/schema.ts';
import type { ActionResult } from '../../agent/inbox/result-file.ts';
import type { SimHandle } from '../../scripts/pve-sim/index.ts';

export interface ClusterAccess {
  name: string;
  urls: string[];
  fingerprint: string;
  tokenId: string;
  tokenSecret: string;
}

/** What a child process needs to reach the simulator (passed as JSON in an env variable). */
export function accessOf(sim: SimHandle): ClusterAccess[] {
  return sim.clusters.map((c) => ({ name: c.name, urls: c.endpoints.map((e) => e.url), fingerprint: sim.fingerprint, tokenId: sim.tokenId, tokenSecret: sim.tokenSecret }));
}

/** Real undici clients for the simulator's clusters. */
export function clientsFor(access: ClusterAccess[], log: Logger): Map<string, PveClient> {
  const out = new Map<string, PveClient>();
  for (const a of access) {
    const cluster: ClusterConfig = { name: a.name, endpoints: a.urls, tokenId: a.tokenId, tokenSecret: a.tokenSecret, tls: { fingerprint: a.fingerprint, insecure: false }, timeoutMs: 5000 };
    out.set(a.name, createPveClient({ cluster, secret: a.tokenSecret, log, retries: 1, retryBaseMs: 20 }));
  }
  return out;
}

/** Copies the simulator's guests into the inventory tables (what a poll cycle would have stored). */
export async function seedInventory(db: Kysely<Database>, sim: SimHandle, nowSec = Math.floor(Date.now() / 1000)): Promise<void> {
  for (const [i, c] of sim.world.clusters.entries()) {
    const id = i + 1;
    await db.insertInto('clusters').values({ id, name: c.name, pve_name: c.pveName, first_seen: nowSec, last_ok_at: nowSec }).onConflict((oc) => oc.column('name').doNothing()).execute();
    for (const g of c.guests.values()) {
      await db
        .insertInto('guests')
        .values({
          cluster_id: id, vmid: g.vmid, type: g.type, node: g.node, name: g.name, status: g.status, template: g.template,
          tags: g.tags ?? null, pool: g.pool ?? null, lock: g.lock ?? null, hastate: g.hastate ?? null,
          maxcpu: g.cpus, maxmem: g.maxmem, maxdisk: g.maxdisk, first_seen: nowSec, changed_at: nowSec, removed_at: null,
        })
        .onConflict((oc) => oc.columns(['cluster_id', 'vmid']).doUpdateSet({ node: g.node, status: g.status }))
        .execute();
    }
  }
}

/** A quiet logger (errors only) unless PMI_TEST_LOG is set. */
export function testLog(): Logger {
  return pino({ level: process.env.PMI_TEST_LOG ?? 'silent' });
}

export async function tempDir(prefix: string): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

export async function openTestDb(dir: string): Promise<Store> {
  return openDatabase(join(dir, 'pmi.sqlite'));
}

/** Actions settings for tests: fast polling and retries. */
export function testActionsConfig(over: Partial<ActionsConfig> = {}): ActionsConfig {
  return ActionsConfig.parse({ policy: [{ actions: ActionName.options }], retryBaseMs: 50, taskPollIntervalMs: 50, verifyTimeoutSeconds: 5, taskTimeoutSeconds: 60, ...over });
}
export type ActionsConfig = z.infer<typeof ActionsConfig>;

let dropSeq = 0;
/** Drops content the Maildir way: written into tmp/, then renamed into new/. Returns the name. */
export async function drop(inbox: string, content: string | Uint8Array | object, name?: string): Promise<string> {
  const n = name ?? `${Date.now()}.${process.pid}.${dropSeq++}.json`;
  const body = typeof content === 'string' || content instanceof Uint8Array ? content : JSON.stringify(content);
  await writeFile(join(inbox, 'tmp', n), body);
  await rename(join(inbox, 'tmp', n), join(inbox, 'new', n));
  return n;
}

/** All result files: outcome folder → parsed results. */
export async function results(inbox: string): Promise<Array<ActionResult & { folder: string; fileName: string }>> {
  const out: Array<ActionResult & { folder: string; fileName: string }> = [];
  for (const folder of ['done', 'failed', 'rejected']) {
    for (const f of (await readdir(join(inbox, folder)).catch(() => [] as string[])).filter((n) => n.endsWith('.json'))) {
      out.push({ ...(JSON.parse(await readFile(join(inbox, folder, f), 'utf8')) as ActionResult), folder, fileName: f });
    }
  }
  return out;
}

/** Waits until `pred` holds (polling), or throws after timeoutMs. */
export async function waitFor<T>(pred: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 20_000, what = 'condition'): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await pred();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Waits for the result of one request id. */
export async function resultOf(inbox: string, id: string, timeoutMs = 20_000): Promise<ActionResult & { folder: string; fileName: string }> {
  return waitFor(async () => (await results(inbox)).find((r) => r.id === id), timeoutMs, `result of ${id}`);
}

/** A request object of format v1. */
export function request(id: string, cluster: string, vmid: number, action: string, params?: object, extra: object = {}): object {
  return { version: 1, id, cluster, vmid, action, ...(params ? { params } : {}), ...extra };
}
