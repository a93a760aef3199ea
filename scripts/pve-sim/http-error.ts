// The error a route handler throws; server.ts turns it into Proxmox's error response (§1.3).

export class SimHttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly opts: { errors?: Record<string, string>; emptyBody?: boolean } = {},
  ) {
    super(message);
  }
}

/** 500 with a handler's plain-text death message (trailing newline added as Perl's die does). */
export function die500(message: string): SimHttpError {
  return new SimHttpError(500, message);
}

/** 400 "Parameter verification failed." with per-parameter reasons. */
export function paramError(errors: Record<string, string>): SimHttpError {
  return new SimHttpError(400, 'Parameter verification failed.', { errors });
}

/** Required parameter check (JSONSchema wording). */
export function requireParam(params: Record<string, string>, name: string): string {
  const v = params[name];
  if (v === undefined || v === '') throw paramError({ [name]: 'property is missing and it is not optional' });
  return v;
}

/** Enum parameter check (JSONSchema wording). */
export function enumParam(params: Record<string, string>, name: string, values: readonly string[], fallback?: string): string {
  const v = params[name] ?? fallback;
  if (v === undefined) throw paramError({ [name]: 'property is missing and it is not optional' });
  if (!values.includes(v)) throw paramError({ [name]: `value '${v}' does not have a value in the enumeration '${values.join(', ')}'` });
  return v;
}

/** Boolean parameter (Perl accepts 0/1, true/false, yes/no, on/off). */
export function boolParam(params: Record<string, string>, name: string): boolean {
  const v = params[name];
  if (v === undefined || v === '') return false;
  if (/^(1|true|yes|on)$/i.test(v)) return true;
  if (/^(0|false|no|off)$/i.test(v)) return false;
  throw paramError({ [name]: `type check ('boolean') failed - got '${v}'` });
}

/** Integer parameter. */
export function intParam(params: Record<string, string>, name: string, fallback: number): number {
  const v = params[name];
  if (v === undefined || v === '') return fallback;
  if (!/^-?\d+$/.test(v)) throw paramError({ [name]: `type check ('integer') failed - got '${v}'` });
  return Number(v);
}
