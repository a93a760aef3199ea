import { z } from 'zod';
import { HealthConfig } from './health-config.schema.ts';
import { AlertsConfig, RulesConfig } from '../alerts/alerts-config.schema.ts'; // alerts (#16)
import { AgentConfig } from './agent-config.schema.ts'; // leases (#17)
import { DatabaseConfig } from './database-config.schema.ts'; // PostgreSQL store (#17)

/** SHA-256 fingerprint in the colon-separated upper-case form Proxmox publishes as `ssl_fingerprint`. */
export const Fingerprint = z
  .string()
  .transform((s) => s.trim().toUpperCase())
  .pipe(z.string().regex(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/, 'expected a SHA-256 fingerprint like "AB:CD:…" (32 colon-separated hex bytes)'))
  // JSON Schema (systemd/config.schema.json) sees the input: any case, surrounding blanks allowed
  .meta({ pattern: '^\\s*([0-9A-Fa-f]{2}:){31}[0-9A-Fa-f]{2}\\s*$' });

const TokenId = z
  .string()
  .regex(/^[^@!\s]+@[^@!\s]+![A-Za-z][A-Za-z0-9._-]*$/, 'expected USER@REALM!TOKENID, e.g. "pmi@pve!monitor"');

const HttpsUrl = z
  .string()
  .url('expected a URL like "https://pve1.example.net:8006"')
  .refine((u) => u.startsWith('https://'), 'Proxmox is reached over HTTPS: the URL must start with https://')
  .meta({ pattern: '^https://' });

export const ClusterTls = z
  .object({
    fingerprint: Fingerprint.optional(),
    caFile: z.string().min(1).optional(),
    insecure: z.boolean().default(false),
  })
  .strict()
  .refine((t) => t.insecure || t.fingerprint || t.caFile, {
    message: 'TLS must be verified: set "fingerprint" or "caFile" (or, knowingly, "insecure": true)',
  })
  // "insecure" beside a pin or a CA used to turn the CA check off silently while check-config said
  // "verified": the two contradict each other, so the combination is refused (issue 12 item 7).
  .refine((t) => !(t.insecure && (t.fingerprint || t.caFile)), {
    path: ['insecure'],
    message: '"insecure": true turns TLS verification off and cannot be combined with "fingerprint" or "caFile": remove "insecure" to verify, or remove the others to knowingly not verify',
  })
  // the two refinements above for JSON Schema, which cannot run code (keep them in step)
  .meta({
    anyOf: [{ required: ['fingerprint'] }, { required: ['caFile'] }, { required: ['insecure'], properties: { insecure: { const: true } } }],
    not: { required: ['insecure'], properties: { insecure: { const: true } }, anyOf: [{ required: ['fingerprint'] }, { required: ['caFile'] }] },
  });

/** The connection settings a PVE cluster and a PBS server share. */
const ConnectionFields = {
  /** Any of the cluster's nodes; tried in order, the first that answers is used. */
  endpoints: z.array(HttpsUrl).min(1, 'at least one endpoint is needed'),
  tokenId: TokenId,
  /** File holding the token secret (mode 0600 or 0400). Preferred. */
  tokenSecretFile: z.string().min(1).optional(),
  /** Name of a systemd credential (LoadCredential=) holding the secret, read from $CREDENTIALS_DIRECTORY. */
  tokenSecretCredential: z.string().min(1).optional(),
  /** The secret inline: works, but logs a warning at every start. */
  tokenSecret: z.string().min(1).optional(),
  tls: ClusterTls,
  timeoutMs: z.number().int().min(100).max(300_000).default(10_000),
};

/** Exactly one way to give the token secret: checked by zod, and said for JSON Schema. */
function withOneSecret<S extends z.ZodType<{ tokenSecretFile?: string | undefined; tokenSecretCredential?: string | undefined; tokenSecret?: string | undefined }>>(schema: S): S {
  return schema
    .refine((c) => [c.tokenSecretFile, c.tokenSecretCredential, c.tokenSecret].filter(Boolean).length === 1, {
      message: 'give exactly one of "tokenSecretFile", "tokenSecretCredential" or "tokenSecret"',
    })
    .meta({ oneOf: [{ required: ['tokenSecretFile'] }, { required: ['tokenSecretCredential'] }, { required: ['tokenSecret'] }] });
}

export const ClusterConfig = withOneSecret(
  z
    .object({
      /** Our name for the cluster: used in the database, file names and URLs. */
      name: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'lower-case letters, digits, "-" and "_" (it becomes part of file names and URLs)'),
      ...ConnectionFields,
    })
    .strict(),
);

/**
 * A Proxmox Backup Server read with a DatastoreAudit token (#15, optional): the same connection
 * settings as a cluster (secret from a file or systemd credential, TLS pinning), one endpoint list.
 */
export const PbsServerConfig = withOneSecret(
  z
    .object({
      name: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'lower-case letters, digits, "-" and "_"'),
      ...ConnectionFields,
      /** Datastores to read even when GET /admin/datastore does not list them (it lists only those the token may audit): a 403 then names the missing grant. */
      datastores: z.array(z.string().min(1)).default([]),
    })
    .strict(),
);
export type PbsServerConfig = z.infer<typeof PbsServerConfig>;

export const PollConfig = z
  .object({
    /**
     * How many clusters are polled at once. Polling is waiting on the network, each cluster is a
     * different server, and a cluster holds one slot for ~3 round trips: 32 keeps 50 clusters
     * within a couple of rounds (see the poll benchmark).
     */
    concurrency: z.number().int().min(1).max(64).default(32),
    /** Retries of a failed GET (never of a POST), with exponential backoff and jitter. */
    retries: z.number().int().min(0).max(10).default(2),
    retryBaseMs: z.number().int().min(1).max(60_000).default(250),
    /** Fill gaps in history after a restart or outage, and for new clusters. */
    backfill: z.boolean().default(true),
    /** Largest API answer accepted, bytes as received; a bigger one fails that request (sizing: agent/pve/pve-client.ts). */
    maxResponseBytes: z.number().int().min(65_536).max(1024 ** 3).default(32 * 1024 * 1024),
    /** Largest answer after gzip/deflate decoding, bytes (a compression bomb fails that request). */
    maxInflatedBytes: z.number().int().min(65_536).max(4 * 1024 ** 3).default(32 * 1024 * 1024),
  })
  .strict();

export const RetentionConfig = z
  .object({
    rawHours: z.number().positive().default(48),
    fiveMinuteDays: z.number().positive().default(30),
    hourlyDays: z.number().positive().default(400),
    /** History of poll runs (timings, errors per cycle). */
    pollRunsDays: z.number().positive().default(30),
    /**
     * Proxmox tasks (by start time). Tasks older than this are neither stored nor kept: they used
     * to be inserted and pruned in the same cycle, and re-inserted at every start.
     */
    taskDays: z.number().positive().default(400),
  })
  .strict();

export const ActionName = z.enum([
  'start', 'shutdown', 'stop', 'reboot', 'reset', 'suspend', 'resume',
  'snapshot', 'rollback', 'delete-snapshot', 'migrate',
]);
export type ActionName = z.infer<typeof ActionName>;
/** What a policy rule may grant: the actions, and `silence` (silence requests in the inbox, #16; also ends them). */
export const PolicyVerb = z.enum([...ActionName.options, 'silence']);
export type PolicyVerb = z.infer<typeof PolicyVerb>;

/** One allow rule: the actions it grants on guests matching all of the given selectors. */
export const PolicyRule = z
  .object({
    actions: z.array(PolicyVerb).min(1),
    clusters: z.array(z.string()).optional(),
    vmids: z.array(z.number().int().positive()).optional(),
    tags: z.array(z.string()).optional(),
    pools: z.array(z.string()).optional(),
    /** Who may: the submitters (user names or uids) and groups (names or gids) the rule applies to. */
    users: z.array(z.union([z.string().min(1), z.number().int().min(0)])).optional(),
    groups: z.array(z.union([z.string().min(1), z.number().int().min(0)])).optional(),
    /** For `silence`: the longest silence this rule allows (hours; default a week). */
    maxSilenceHours: z.number().positive().max(24 * 90).optional(),
  })
  .strict();

export const ActionsConfig = z
  .object({
    /** With no rules nothing is allowed. */
    policy: z.array(PolicyRule).default([]),
    concurrency: z.number().int().min(1).max(64).default(4),
    taskTimeoutSeconds: z.number().int().min(1).max(86_400).default(900),
    maxAttempts: z.number().int().min(1).max(20).default(4),
    /** First retry delay after a transient error; doubles per attempt (with jitter). */
    retryBaseMs: z.number().int().min(1).max(600_000).default(2000),
    /** How often a running task's status is polled. */
    taskPollIntervalMs: z.number().int().min(10).max(60_000).default(1000),
    /** After a successful task: how long to wait for the guest to show the wanted state (HA guests: taskTimeoutSeconds). */
    verifyTimeoutSeconds: z.number().int().min(1).max(3600).default(30),
    /** Action rows and result files older than this are pruned (in small batches). */
    retentionDays: z.number().positive().max(36_500).default(90),
  })
  .strict();

/** Thresholds of the attention list and the usage bars (one threshold for both, issue #14 item 1). */
export const AttentionConfig = z
  .object({
    /** Storage at or above this fill (percent, as displayed) is a warning; bars turn amber. */
    storageWarnPct: z.number().min(1).max(100).default(85),
    /** Storage at or above this fill is critical; bars turn red. */
    storageCritPct: z.number().min(1).max(100).default(95),
    /** Storage whose 7-day trend reaches 100 % within this many days is a warning (0: off). */
    fullWithinDays: z.number().min(0).max(365).default(14),
  })
  .strict()
  .refine((a) => a.storageWarnPct <= a.storageCritPct, { message: 'storageWarnPct must not be above storageCritPct', path: ['storageWarnPct'] });

export const SiteConfig = z
  .object({
    title: z.string().min(1).default('PMI Dashboard'),
    /** The banner shows when data is older than this many poll intervals. */
    staleAfterIntervals: z.number().int().min(1).default(3),
    /** The overview's attention list and the usage bars (issue #14 item 1): agent/site/build-attention-model.ts. */
    attention: AttentionConfig.default(AttentionConfig.parse({})), // attention (#14)
  })
  .strict();

export const MetricsConfig = z
  .object({
    /** Write the fleet's current metrics in the OpenMetrics text format every cycle (nginx serves it at /metrics). */
    enabled: z.boolean().default(true),
    /** On a tmpfs, so it costs no disk writes; replaced atomically every cycle. */
    file: z.string().min(1).default('/run/pmi-agent/metrics'),
  })
  .strict();

export const LogFileConfig = z
  .object({
    /** Base file name; pino-roll adds the date/number. */
    path: z.string().min(1),
    frequency: z.enum(['daily', 'hourly']).or(z.number().int().positive()).default('daily'),
    size: z.string().regex(/^\d+[kmg]?$/i).meta({ pattern: '^\\d+[kmgKMG]?$' }).optional(),
    /** How many rotated files to keep. */
    keep: z.number().int().min(1).default(14),
  })
  .strict();

export const LogConfig = z
  .object({
    level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace']).default('info'),
    file: LogFileConfig.optional(),
    auditFile: LogFileConfig.optional(),
  })
  .strict();

/** Poll intervals cron can express: dividing a minute, or whole minutes dividing an hour. */
const cronExpressible = (s: number) => (s < 60 ? 60 % s === 0 : s % 60 === 0 && 3600 % s === 0);

export const Config = z
  .object({
    /** The JSON Schema editors check the file against (systemd/config.schema.json); ignored by the agent. */
    $schema: z.string().optional(),
    clusters: z
      .array(ClusterConfig)
      .min(1, 'configure at least one cluster')
      .meta({ description: 'Cluster names must be unique (the agent checks it; JSON Schema cannot).' }),
    /** Must divide a minute (5, 10, 15, 20, 30) or be whole minutes dividing an hour (60, 120, 300, …). */
    pollIntervalSeconds: z
      .number()
      .int()
      .min(5)
      .max(3600)
      .refine(cronExpressible, 'the interval must divide a minute (5, 10, 15, 20, 30) or be whole minutes that divide an hour (60, 120, 300, 600, …)')
      .meta({ enum: Array.from({ length: 3600 - 4 }, (_, i) => i + 5).filter(cronExpressible) })
      .default(60),
    paths: z
      .object({
        database: z.string().min(1),
        site: z.string().min(1),
        inbox: z.string().min(1),
      })
      .strict(),
    /** PostgreSQL instead of the SQLite file at paths.database (#17): database-config.schema.ts. */
    database: DatabaseConfig.optional(),
    poll: PollConfig.default(PollConfig.parse({})),
    retention: RetentionConfig.default(RetentionConfig.parse({})),
    actions: ActionsConfig.default(ActionsConfig.parse({})),
    site: SiteConfig.default(SiteConfig.parse({})),
    log: LogConfig.default(LogConfig.parse({})),
    metrics: MetricsConfig.default(MetricsConfig.parse({})),
    /** Health beyond metrics (issue #15): health-config.schema.ts. */
    health: HealthConfig.default(HealthConfig.parse({})),
    rules: RulesConfig.default(RulesConfig.parse({})), // alerts (#16)
    alerts: AlertsConfig.default(AlertsConfig.parse({})), // alerts (#16)
    /** Proxmox Backup Servers (#15, optional): datastores, backup groups, verification. */
    pbs: z.array(PbsServerConfig).default([]),
    agent: AgentConfig.default(AgentConfig.parse({})), // leases (#17): several agents on one database
  })
  .strict()
  .superRefine((c, ctx) => {
    const seen = new Set<string>();
    c.clusters.forEach((cl, i) => {
      if (seen.has(cl.name)) ctx.addIssue({ code: 'custom', path: ['clusters', i, 'name'], message: `duplicate cluster name "${cl.name}"` });
      seen.add(cl.name);
    });
  });

export type Config = z.infer<typeof Config>;
export type ClusterConfig = z.infer<typeof ClusterConfig>;
export type PolicyRule = z.infer<typeof PolicyRule>;
