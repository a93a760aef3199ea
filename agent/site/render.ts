// eta set up once: templates in site-templates/, auto-escaping on (`<%= %>` escapes; `<%~ %>`
// is used only to include our own partials and the pre-escaped page-data JSON).
import { Eta } from 'eta';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { toJson } from './encode-json.ts';

export const TEMPLATES_DIR = resolve(import.meta.dirname, '../../site-templates');

export type Render = (template: string, model: object) => string;

/** Creates the renderer; templates are compiled once and cached. */
export function createRenderer(dir = TEMPLATES_DIR): Render {
  const eta = new Eta({ views: dir, cache: true, autoEscape: true, autoTrim: false });
  // The partial included once per table cell is registered by name ("@usage-bar"): an include by
  // path costs a path resolution each time (~10 µs, 0.1 s for a 5,000-guest table).
  eta.loadTemplate('@usage-bar', readFileSync(join(dir, 'partials/usage-bar.eta'), 'utf8'));
  // Every other include resolves its path once (eta resolves it on each call: ~0.2 s of a full build).
  const resolveOnce = eta.resolvePath!.bind(eta);
  const resolved = new Map<string, string>();
  eta.resolvePath = (template, options) => {
    const key = `${options?.filepath ?? ''}\0${template}`;
    let p = resolved.get(key);
    if (p === undefined) resolved.set(key, (p = resolveOnce(template, options)));
    return p;
  };
  return (template, model) => eta.render(template, model);
}

const SCRIPT_ESCAPES: Record<string, string> = { '<': '\\u003c', '>': '\\u003e', '&': '\\u0026', '\u2028': '\\u2028', '\u2029': '\\u2029' };

/** JSON safe to place inside <script type="application/json">: no "<", ">" or "&" survive. */
export function jsonForScript(value: unknown): string {
  return toJson(value).replace(/[<>&\u2028\u2029]/g, (c) => SCRIPT_ESCAPES[c]!);
}
