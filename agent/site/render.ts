// eta set up once: templates in site-templates/, auto-escaping on (`<%= %>` escapes; `<%~ %>`
// is used only to include our own partials and the pre-escaped page-data JSON).
import { Eta } from 'eta';
import { resolve } from 'node:path';
import { toJson } from './encode-json.ts';

export const TEMPLATES_DIR = resolve(import.meta.dirname, '../../site-templates');

export type Render = (template: string, model: object) => string;

/** Creates the renderer; templates are compiled once and cached. */
export function createRenderer(dir = TEMPLATES_DIR): Render {
  const eta = new Eta({ views: dir, cache: true, autoEscape: true, autoTrim: false });
  return (template, model) => eta.render(template, model);
}

/** JSON safe to place inside <script type="application/json">: no "<", ">" or "&" survive. */
export function jsonForScript(value: unknown): string {
  return toJson(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}
