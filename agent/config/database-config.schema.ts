// The `database` section (issue 17 item 1): absent → the SQLite file at paths.database (the
// default, needs nothing); `url` → PostgreSQL. The password comes like the token secrets: a file
// only its owner can read, or a systemd credential; a password inside the URL works but is warned
// about, like an inline token secret.
import { z } from 'zod';

export const DatabaseConfig = z
  .object({
    /** postgres://USER@HOST:PORT/DATABASE (or postgresql://…); query options such as ?sslmode=… pass through to `pg`. */
    url: z
      .string()
      .regex(/^postgres(ql)?:\/\/[^\s]+$/, 'expected a PostgreSQL URL like "postgres://pmi@db.example.net:5432/pmi"')
      .meta({ pattern: '^postgres(ql)?://' }),
    /** File holding the database password (mode 0600 or 0400). */
    passwordFile: z.string().min(1).optional(),
    /** Name of a systemd credential (LoadCredential=) holding the password, read from $CREDENTIALS_DIRECTORY. */
    passwordCredential: z.string().min(1).optional(),
    /** Connections the agent keeps open: the store writes up to poolSize - 1 clusters at once; the site build, leases and alerts use the rest. */
    poolSize: z.number().int().min(2).max(64).default(4),
  })
  .strict()
  .refine((d) => !(d.passwordFile && d.passwordCredential), {
    message: 'give at most one of "passwordFile" or "passwordCredential"',
  })
  .meta({ not: { required: ['passwordFile', 'passwordCredential'] } });

export type DatabaseConfig = z.infer<typeof DatabaseConfig>;
