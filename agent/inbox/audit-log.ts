// The audit trail of actions: one JSON line per step (accepted, rejected, posting, posted, task
// ended, finished) with who/what/when/outcome/UPID.
import type { Logger } from 'pino';
import type { Config } from '../config/config.schema.ts';
import { openRolledFile } from '../log/log-files.ts';
import { createLogger } from '../log/logger.ts';

/**
 * The audit logger: a pino logger writing to a pino-roll rotated file when `log.auditFile` is
 * configured, else a child of the main log marked {audit: true}. (The agent's composition root
 * gets the same from createAgentLoggers; this is for standalone use, e.g. the crash-test runner.)
 */
export async function createAuditLog(cfg: Config['log'] | undefined, log: Logger): Promise<{ audit: Logger; close(): Promise<void> }> {
  if (!cfg?.auditFile) return { audit: log.child({ audit: true }), close: async () => undefined };
  const stream = await openRolledFile(cfg.auditFile);
  const audit = createLogger({ level: 'info', destination: stream }).child({ audit: true });
  return {
    audit,
    close: () =>
      new Promise<void>((resolve) => {
        stream.flush(() => {
          stream.once('close', () => resolve());
          stream.end();
        });
      }),
  };
}
