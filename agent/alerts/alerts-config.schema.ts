// The config of the alert engine: `rules` (where rule files live, which are off, how long one may
// run) and `alerts` (notification targets, routes, standing silences, the heartbeat URL). Kept
// here and mounted in agent/config/config.schema.ts so the shared schema file changes by two lines.
import { z } from 'zod';

const Name = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'lower-case letters, digits, "-" and "_"');

export const RulesConfig = z
  .object({
    /** Your rule files (*.sql). A file named like a shipped rule replaces it. */
    directory: z.string().min(1).optional(),
    /** Rule names that are not evaluated (shipped or yours). */
    disabled: z.array(z.string().min(1)).default([]),
    /** A rule running longer than this is stopped and reported (RULE_TIMEOUT). */
    evalTimeoutMs: z.number().int().min(10).max(60_000).default(2000),
  })
  .strict();

/** A secret for a target: exactly one of a file (mode 0600), a systemd credential, or inline. */
const SecretRef = {
  secretFile: z.string().min(1).optional(),
  secretCredential: z.string().min(1).optional(),
  secret: z.string().min(1).optional(),
};
const oneSecretAtMost = (t: { secretFile?: string; secretCredential?: string; secret?: string }) =>
  [t.secretFile, t.secretCredential, t.secret].filter(Boolean).length <= 1;
const SECRET_MSG = { message: 'give at most one of "secretFile", "secretCredential" or "secret"' };

const HttpUrl = z.string().url().refine((u) => /^https?:\/\//.test(u), 'expected an http:// or https:// URL');
const HttpTls = {
  /** A CA certificate (PEM) the receiver's certificate must chain to, e.g. an internal CA. */
  caFile: z.string().min(1).optional(),
  timeoutMs: z.number().int().min(100).max(120_000).default(10_000),
};

export const WebhookTarget = z
  .object({ name: Name, type: z.literal('webhook'), url: HttpUrl, ...HttpTls, ...SecretRef })
  .strict()
  .refine(oneSecretAtMost, SECRET_MSG);
export const NtfyTarget = z
  .object({ name: Name, type: z.literal('ntfy'), url: HttpUrl, topic: z.string().min(1), ...HttpTls, ...SecretRef })
  .strict()
  .refine(oneSecretAtMost, SECRET_MSG);
export const GotifyTarget = z
  .object({ name: Name, type: z.literal('gotify'), url: HttpUrl, ...HttpTls, ...SecretRef })
  .strict()
  .refine(oneSecretAtMost, SECRET_MSG)
  .refine((t) => t.secretFile || t.secretCredential || t.secret, { message: 'Gotify needs an application token: set "secretFile" or "secretCredential"' });
/** Slack, Mattermost, Rocket.Chat, … incoming webhooks: the URL itself is the secret, so it may come from a file. */
export const SlackTarget = z
  .object({ name: Name, type: z.literal('slack'), url: HttpUrl.optional(), ...HttpTls, ...SecretRef })
  .strict()
  .refine(oneSecretAtMost, SECRET_MSG)
  .refine((t) => t.url || t.secretFile || t.secretCredential || t.secret, { message: 'set "url", or keep the webhook URL secret in "secretFile"/"secretCredential"' });
export const SmtpTarget = z
  .object({
    name: Name,
    type: z.literal('smtp'),
    host: z.string().min(1),
    port: z.number().int().min(1).max(65535).default(587),
    /** starttls (port 587, required upgrade), tls (port 465), none (loopback relays only). */
    security: z.enum(['starttls', 'tls', 'none']).default('starttls'),
    user: z.string().min(1).optional(),
    from: z.string().min(3),
    to: z.array(z.string().min(3)).min(1),
    caFile: z.string().min(1).optional(),
    timeoutMs: z.number().int().min(100).max(120_000).default(15_000),
    ...SecretRef,
  })
  .strict()
  .refine(oneSecretAtMost, SECRET_MSG);

export const Target = z.union([WebhookTarget, NtfyTarget, GotifyTarget, SlackTarget, SmtpTarget]);
export type Target = z.infer<typeof Target>;

export const LabelMatcher = z
  .object({
    label: z.string().min(1),
    op: z.enum(['=', '!=', '=~', '!~']).default('='),
    value: z.string(),
  })
  .strict()
  .refine((m) => !m.op.includes('~') || isRegex(m.value), { message: 'not a valid regular expression' });
export type LabelMatcher = z.infer<typeof LabelMatcher>;

function isRegex(s: string): boolean {
  try {
    new RegExp(s);
    return true;
  } catch {
    return false;
  }
}

export const Route = z
  .object({
    /** All must match (labels include `alertname` = the rule and `severity`). Empty: every alert. */
    matchers: z.array(LabelMatcher).default([]),
    severities: z.array(z.enum(['critical', 'warning', 'info'])).optional(),
    targets: z.array(Name).min(1),
    /** Alerts with equal values of these labels share one notification. */
    groupBy: z.array(z.string().min(1)).default(['alertname', 'cluster']),
    /** How long the first event of a group waits for others before the notification goes. */
    groupWaitSeconds: z.number().int().min(0).max(86_400).default(30),
    /** A still-firing alert is notified again after this long. 0: never. */
    repeatIntervalSeconds: z.number().int().min(0).max(30 * 86_400).default(4 * 3600),
    /** Send a notice when the alert resolves. */
    sendResolved: z.boolean().default(true),
  })
  .strict();
export type Route = z.infer<typeof Route>;

const Hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'expected HH:MM (24 h)');
export const StandingSilence = z
  .object({
    name: Name,
    matchers: z.array(LabelMatcher).min(1, 'a silence needs at least one matcher'),
    /** Weekdays it applies on (UTC unless `utcOffsetMinutes`). */
    days: z.array(z.enum(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'])).min(1),
    start: Hhmm,
    end: Hhmm,
    utcOffsetMinutes: z.number().int().min(-14 * 60).max(14 * 60).default(0),
    reason: z.string().min(1),
  })
  .strict();
export type StandingSilence = z.infer<typeof StandingSilence>;

/** alerts.silencePolicy was replaced before any release by `silence` rules in actions.policy (#16). */
export const SILENCE_POLICY_REMOVED =
  'alerts.silencePolicy was removed: silences are allowed by actions.policy, like actions — add a rule such as ' +
  '{ "actions": ["silence"], "clusters": ["lab"], "users": ["alice"], "maxSilenceHours": 24 } (see agent/alerts/README.md, "Silences")';

export const AlertsConfig = z
  .object({
    targets: z.array(Target).default([]),
    routes: z.array(Route).default([]),
    silences: z.array(StandingSilence).default([]),
    /** Called (GET) after every cycle whose stages all succeeded: a dead-man switch for the agent. */
    heartbeatUrl: HttpUrl.optional(),
    /** Delivery retries back off from retryBaseMs doubling up to retryMaxMs; they never give up. */
    retryBaseMs: z.number().int().min(10).max(600_000).default(5_000),
    retryMaxMs: z.number().int().min(10).max(86_400_000).default(3_600_000),
    /** How often the outbox is looked at between cycles. */
    dispatchIntervalMs: z.number().int().min(10).max(60_000).default(1000),
  }, { error: (iss) => (iss.code === 'unrecognized_keys' && iss.keys.includes('silencePolicy') ? SILENCE_POLICY_REMOVED : undefined) })
  .strict()
  .superRefine((a, ctx) => {
    const names = new Set<string>();
    a.targets.forEach((t, i) => {
      if (names.has(t.name)) ctx.addIssue({ code: 'custom', path: ['targets', i, 'name'], message: `duplicate target name "${t.name}"` });
      names.add(t.name);
    });
    a.routes.forEach((r, i) =>
      r.targets.forEach((t, j) => {
        if (!names.has(t)) ctx.addIssue({ code: 'custom', path: ['routes', i, 'targets', j], message: `no target named "${t}"` });
      }),
    );
  });
export type AlertsConfig = z.infer<typeof AlertsConfig>;
export type RulesConfig = z.infer<typeof RulesConfig>;
