// Shared set-up for tests that run the real agent against the real simulator: a temp dir with
// a config, an owner-only secret file, and a log sink whose lines are parsed JSON objects.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { SimHandle } from '../../scripts/pve-sim/types.ts';

export interface LogSink {
  stream: Writable;
  lines: Array<Record<string, unknown>>;
  text(): string;
}

export function logSink(): LogSink {
  const raw: string[] = [];
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk, _e, cb) {
      for (const l of String(chunk).split('\n').filter(Boolean)) {
        raw.push(l);
        try { lines.push(JSON.parse(l)); } catch { lines.push({ raw: l }); }
      }
      cb();
    },
  });
  return { stream, lines, text: () => raw.join('\n') };
}

export interface AgentDirs {
  dir: string;
  configPath: string;
  database: string;
  site: string;
  inbox: string;
}

/** Writes config.json for the simulator's clusters into a fresh temp dir; `patch` edits it. */
// The config is plain JSON on purpose (tests patch any field, also into invalid shapes).
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- see above
type JsonConfig = any;

export function writeAgentConfig(sim: SimHandle, patch: (c: JsonConfig) => void = () => {}, secret = sim.tokenSecret): AgentDirs {
  const dir = mkdtempSync(join(tmpdir(), 'pmi-agent-'));
  writeFileSync(join(dir, 'token'), secret + '\n', { mode: 0o600 });
  const config: JsonConfig = {
    clusters: sim.clusters.map((c) => ({
      name: c.name,
      endpoints: c.endpoints.map((e) => e.url),
      tokenId: sim.tokenId,
      tokenSecretFile: 'token',
      tls: { fingerprint: sim.fingerprint },
      timeoutMs: 3000,
    })),
    pollIntervalSeconds: 5,
    paths: { database: 'pmi.sqlite', site: 'site', inbox: 'inbox' },
    poll: { retries: 0 },
  };
  patch(config);
  const configPath = join(dir, 'config.json');
  writeFileSync(configPath, JSON.stringify(config, null, 2));
  return { dir, configPath, database: join(dir, 'pmi.sqlite'), site: join(dir, 'site'), inbox: join(dir, 'inbox') };
}
