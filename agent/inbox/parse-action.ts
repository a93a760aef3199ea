// Pure: the bytes of a dropped file → a valid request, or a rejection that says what and where.
import { ActionId, ActionRequest } from './action-request.schema.ts';
import type { ErrorCode } from '../errors.ts';

export const MAX_REQUEST_BYTES = 64 * 1024;

export type ParseResult =
  | { ok: true; request: ActionRequest; text: string }
  | { ok: false; code: ErrorCode; reason: string; problems?: string[]; excerpt: string; id?: string };

/** Formats a zod issue path as `params.name` / `tags[2]`. */
export function formatIssuePath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(top level)';
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`)).join('');
}

/** A printable, bounded excerpt of raw input for the result file. */
export function excerptOf(text: string, max = 512): string {
  // eslint-disable-next-line no-control-regex -- control characters are exactly what we strip
  const clean = text.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, '\uFFFD');
  return clean.length > max ? `${clean.slice(0, max)}…` : clean;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Decodes and validates one request file. Refuses binary input (invalid UTF-8 or NUL/control
 * bytes), invalid JSON, and schema errors (every problem with its path). When the JSON has a
 * valid `id`, the rejection carries it so the result file is named after it.
 */
export function parseActionFile(bytes: Uint8Array): ParseResult {
  if (bytes.byteLength > MAX_REQUEST_BYTES) {
    return { ok: false, code: 'ACTION_INVALID', reason: `file is ${bytes.byteLength} bytes; requests are limited to ${MAX_REQUEST_BYTES} bytes (64 KiB)`, excerpt: '' };
  }
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    return { ok: false, code: 'ACTION_INVALID', reason: 'file is not valid UTF-8 text (binary?)', excerpt: `<${bytes.byteLength} bytes of binary data>` };
  }
  // eslint-disable-next-line no-control-regex -- a JSON request has no raw control characters besides whitespace
  if (/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(text)) {
    return { ok: false, code: 'ACTION_INVALID', reason: 'file contains control characters (binary?); a request is a JSON text', excerpt: excerptOf(text) };
  }
  const body = text.replace(/^\uFEFF/, '');
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch (err) {
    return { ok: false, code: 'ACTION_INVALID', reason: `invalid JSON: ${(err as Error).message}`, excerpt: excerptOf(text) };
  }
  const rawId = json && typeof json === 'object' && !Array.isArray(json) ? (json as Record<string, unknown>).id : undefined;
  const id = ActionId.safeParse(rawId).success ? (rawId as string) : undefined;
  const parsed = ActionRequest.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${formatIssuePath(i.path)}: ${i.message}`);
    return {
      ok: false,
      code: 'ACTION_INVALID',
      reason: `request does not match format v1: ${problems.join('; ')}`,
      problems,
      excerpt: excerptOf(text),
      id,
    };
  }
  return { ok: true, request: parsed.data, text: body };
}
