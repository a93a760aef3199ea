// The alert engine at fleet size, on a real database file filled by the store's own write path:
//   evalMsPerCycle                     — one evaluation of the whole default pack (every rule run in
//                                        the read-only child process, state step, mutes, silences,
//                                        the transaction when something changed), median over cycles;
//   dbBytesWrittenPerDayPer1000Guests  — what the engine adds to the WAL in a quiet fleet (WAL size
//                                        right after minus right before each evaluation, while the
//                                        store keeps writing its snapshots), scaled to a day at 60 s;
//   notifyLatencyMsP50                 — from the end of the cycle in which a rule fires (evaluate()
//                                        returned) to an HTTPS webhook receiver on loopback having the
//                                        body (groupWait 0), one guest stopping and starting again.
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '../../agent/store/open-database.ts';
import { writePollRun, writeSnapshot } from '../../agent/store/snapshot.repository.ts';
import { writeHealthBatch } from '../../agent/store/health.repository.ts';
import { createRuleReader } from '../../agent/store/rule-reader.ts';
import { createAlertEngine } from '../../agent/alerts/alert-engine.ts';
import { loadCheckedRules } from '../../agent/alerts/rules/rule-set.ts';
import { AlertsConfig } from '../../agent/alerts/alerts-config.schema.ts';
import { createOutboxDispatcher } from '../../agent/alerts/notify/outbox-dispatcher.ts';
import { createSender } from '../../agent/alerts/notify/senders.ts';
import { createHttpSend } from '../../agent/alerts/notify/http-post.ts';
import { smtpSend } from '../../agent/alerts/notify/smtp-send.ts';
import { createLogger } from '../../agent/log/logger.ts';
import { syntheticSnapshot } from './store-synthetic.ts';
import { caPem, startWebhookReceiver } from '../../test/support/alert-receivers.ts';

export interface AlertsBenchResult {
  guests: number;
  rules: number;
  cycles: number;
  evalMsPerCycle: number;
  evalMsPerCycleP95: number;
  /** The slowest rules of one evaluation, ms (child-process round trip included). */
  slowestRules: Record<string, number>;
  dbBytesWrittenPerDayPer1000Guests: number;
  /** WAL bytes of one evaluation with one transition and its queued notification (median). */
  bytesPerTransition: number;
  notifications: number;
  notifyLatencyMsP50: number;
  notifyLatencyMsP95: number;
  targets: { evalMsPerCycle: number; dbBytesWrittenPerDayPer1000Guests: number; notifyLatencyMsP50: number };
  withinTargets: boolean;
  notes: string[];
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? Math.round(s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]! * 10) / 10 : NaN;
};

export async function run(opts: { quick?: boolean; log: (line: string) => void }): Promise<AlertsBenchResult> {
  const guests = opts.quick ? 2000 : 10_000;
  const cycles = opts.quick ? 10 : 30;
  const dir = mkdtempSync(join(tmpdir(), 'pmi-bench-alerts-'));
  const file = join(dir, 'pmi.sqlite');
  const store = await openDatabase(file, { walAutocheckpointPages: 1_000_000 });
  const reader = createRuleReader({ file, timeoutMs: 10_000 });
  const hook = await startWebhookReceiver();
  const http = createHttpSend();
  const log = createLogger({ level: 'silent' });
  // Day 1 of the synthetic backup disk's 40-day sawtooth: a quiet fleet is quiet.
  let t = 1_700_100_000 - (1_700_100_000 % 3_456_000) + 86_400;
  try {
    const rules = loadCheckedRules({ disabled: [], evalTimeoutMs: 10_000 }, store.sqlite).rules;
    const caFile = join(dir, 'ca.pem');
    writeFileSync(caFile, await caPem());
    const config = AlertsConfig.parse({ targets: [{ name: 'hook', type: 'webhook', url: hook.url, caFile, secret: 'bench' }], routes: [{ targets: ['hook'], groupWaitSeconds: 0 }] });
    const engine = createAlertEngine({ db: store.db, reader, rules, config, intervalSeconds: 60, now: () => (t + 5) * 1000, log });
    const received = new Map<number, number>();
    const dispatcher = createOutboxDispatcher({
      db: store.db, senders: new Map([['hook', createSender(config.targets[0]!, 'bench', { http, smtp: smtpSend })]]), routes: config.routes,
      now: () => (t + 5) * 1000, log, retryBaseMs: 1000, retryMaxMs: 10_000, intervalMs: 1000,
    });
    const walSize = () => { try { return statSync(`${file}-wal`).size; } catch { return 0; } };
    const stopped = new Set<number>();
    const storeCycle = async () => {
      t += 60;
      const s = syntheticSnapshot({ ts: t, guests, stopped });
      await writeSnapshot(store.db, s);
      await writePollRun(store.db, { cluster: 'lab', startedAt: t, durationMs: 100, requests: 5, errors: 0, endpoint: s.endpoint, ok: true });
    };
    opts.log(`filling ${guests} guests`);
    for (let i = 0; i < 3; i++) await storeCycle();
    // Backups as the health tier stores them, so the per-guest health rules run over real rows: one
    // nightly job over every guest, its task per node (log read) and one good run per guest.
    const nodes = ['pve1', 'pve2', 'pve3'];
    const night = t - 8 * 3600;
    const upid = (n: string) => `UPID:${n}:00001000:00000000:${night.toString(16).toUpperCase()}:vzdump::root@pam:`;
    await writeHealthBatch(store.db, { cluster: 'lab', ts: t, results: [
      { signal: 'backup_jobs', node: '', state: 'ok', kind: 'backup_jobs', excluded: null, jobs: [{ jobId: 'backup-nightly', enabled: true, schedule: '21:00', storage: 'nas', mode: 'snapshot', all: true, vmids: [], pool: null, node: null, exclude: [], comment: null, nextRun: null, rpoS: 26 * 3600 }] },
      ...nodes.map((n) => ({ signal: 'backup_tasks' as const, node: n, state: 'ok' as const, kind: 'backup_tasks' as const, rows: [{ upid: upid(n), node: n, vmid: null, starttime: night, endtime: night + 3 * 3600, status: 'OK' }] })),
      ...nodes.map((n, k) => ({ signal: 'backup_logs' as const, node: n, state: 'ok' as const, kind: 'backup_log' as const, upid: upid(n),
        runs: Array.from({ length: guests }, (_x, i) => i).filter((i) => i % 3 === k).map((i) => ({ upid: upid(n), vmid: 100 + i, node: n, starttime: night + i, endtime: night + i + 60, durationS: 60, ok: true, error: null, sizeBytes: 2 ** 30, storage: 'nas', archive: null })) })),
    ] });
    await engine.evaluate(); // first run: the child process starts and prepares

    const ms: number[] = [];
    let walBytes = 0;
    let transitions = 0;
    let slowest: Record<string, number> = {};
    for (let i = 0; i < cycles; i++) {
      await storeCycle();
      const before = walSize();
      const t0 = performance.now();
      const s = await engine.evaluate();
      ms.push(performance.now() - t0);
      walBytes += walSize() - before;
      transitions += s.transitions;
      if (i === cycles - 1) {
        const per: Record<string, number> = {};
        for (const r of rules) {
          const r0 = performance.now();
          await reader.run(r.sql, Object.fromEntries(Object.entries({ now: t + 5, interval: 60 }).filter(([k]) => r.sql.includes(`:${k}`))));
          per[r.name] = Math.round((performance.now() - r0) * 10) / 10;
        }
        slowest = Object.fromEntries(Object.entries(per).sort((a, b) => b[1] - a[1]).slice(0, 4));
      }
    }
    const bytesPerCycle = walBytes / cycles;
    const perDay = Math.round((bytesPerCycle * 1440) / (guests / 1000));
    opts.log(`evaluate p50 ${pct(ms, 50)} ms; engine WAL bytes over ${cycles} quiet cycles: ${walBytes} (${transitions} transitions)`);

    // Latency: a guest stops (rule fires with for 0) → webhook; then it starts again (resolved).
    const lat: number[] = [];
    const transitionBytes: number[] = [];
    const n = opts.quick ? 6 : 20;
    for (let i = 0; i < n; i++) {
      const vmid = 100 + (Math.floor(i / 2) % 4); // 100–103 run (every 5th synthetic guest is stopped); stop, then start again
      if (i % 2 === 0) stopped.add(vmid); else stopped.delete(vmid);
      await storeCycle();
      const before = hook.received.length;
      const wal0 = walSize();
      await engine.evaluate();
      const end = performance.now();
      transitionBytes.push(walSize() - wal0);
      void dispatcher.kick();
      const deadline = Date.now() + 30_000;
      while (hook.received.length === before) {
        if (Date.now() > deadline) throw new Error(`no notification reached the webhook within 30 s (iteration ${i})`);
        await new Promise((r) => setImmediate(r));
      }
      lat.push(performance.now() - end);
      received.set(i, lat.at(-1)!);
      await dispatcher.kick();
    }
    await dispatcher.stop();
    const result: AlertsBenchResult = {
      guests, rules: rules.length, cycles,
      evalMsPerCycle: pct(ms, 50), evalMsPerCycleP95: pct(ms, 95), slowestRules: slowest,
      dbBytesWrittenPerDayPer1000Guests: perDay,
      bytesPerTransition: pct(transitionBytes, 50),
      notifications: lat.length, notifyLatencyMsP50: pct(lat, 50), notifyLatencyMsP95: pct(lat, 95),
      targets: { evalMsPerCycle: 100, dbBytesWrittenPerDayPer1000Guests: 1_000_000, notifyLatencyMsP50: 1000 },
      withinTargets: false,
      notes: [
        `${guests} guests in 1 cluster of 3 nodes, 12 storages; default pack (${rules.length} rules); quiet fleet: ${transitions} transitions in ${cycles} cycles`,
        'bytes: growth of the WAL across each evaluate() while the store writes its snapshots in between; scaled to 1,440 cycles/day',
        'latency: evaluate() returned → HTTPS webhook on loopback has the body; groupWait 0; HMAC signed',
      ],
    };
    result.withinTargets = result.evalMsPerCycle <= 100 && perDay <= 1_000_000 && result.notifyLatencyMsP50 <= 1000;
    return result;
  } finally {
    await reader.stop();
    await http.close();
    await hook.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export function table(r: AlertsBenchResult): string {
  const row = (k: string, v: number, target: number, unit: string) => `| ${k} | ${v} ${unit} | ≤ ${target} ${unit} | ${v <= target ? 'ok' : 'MISSED'} |`;
  return [
    `${r.guests} guests, ${r.rules} rules, ${r.cycles} cycles; slowest rules (ms): ${Object.entries(r.slowestRules).map(([k, v]) => `${k} ${v}`).join(', ')}`,
    '| measure | value | target | |',
    '|---|---|---|---|',
    row('evalMsPerCycle (p50)', r.evalMsPerCycle, r.targets.evalMsPerCycle, 'ms'),
    row('dbBytesWrittenPerDayPer1000Guests (quiet)', r.dbBytesWrittenPerDayPer1000Guests, r.targets.dbBytesWrittenPerDayPer1000Guests, 'B'),
    `| one transition + queued notification (WAL bytes, median) | ${r.bytesPerTransition} B | — | |`,
    row(`notifyLatencyMsP50 (${r.notifications} notifications; p95 ${r.notifyLatencyMsP95} ms)`, r.notifyLatencyMsP50, r.targets.notifyLatencyMsP50, 'ms'),
  ].join('\n');
}
