/**
 * Stable error codes: they end up in result files, logs, the database and pages, so people and
 * scripts can match on them. Add codes; never rename one.
 */
export type ErrorCode =
  | 'CONFIG_INVALID'
  | 'AGENT_RUNNING'
  | 'SECRET_UNREADABLE'
  | 'SECRET_INSECURE'
  | 'PVE_AUTH'
  | 'PVE_FORBIDDEN'
  | 'PVE_TLS'
  | 'PVE_UNREACHABLE'
  | 'PVE_TIMEOUT'
  | 'PVE_NODE_OFFLINE'
  | 'PVE_HTTP'
  | 'PVE_BAD_RESPONSE'
  | 'PVE_TOO_LARGE'
  | 'ACTION_INVALID'
  | 'ACTION_NOT_ALLOWED'
  | 'ACTION_UNKNOWN_GUEST'
  | 'ACTION_EXPIRED'
  | 'ACTION_DUPLICATE'
  | 'ACTION_TASK_FAILED'
  | 'ACTION_TASK_TIMEOUT'
  | 'ACTION_VERIFY_FAILED'
  | 'ACTION_PVE_ERROR'
  | 'SITE_BUILD_FAILED';

/** An error we expect and explain to people, with a stable code and the underlying cause. */
export class PmiError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown>;
  constructor(code: ErrorCode, message: string, opts: { cause?: unknown; details?: Record<string, unknown> } = {}) {
    super(message, { cause: opts.cause });
    this.name = 'PmiError';
    this.code = code;
    this.details = opts.details ?? {};
  }
}

/** The message of anything thrown, for logs and result files. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
