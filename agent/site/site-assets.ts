// The site's static assets with content-hashed names (cache forever, never stale): our CSS and
// scripts from site-templates/assets and ApexCharts copied from node_modules (no CDN).
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { TEMPLATES_DIR } from './render.ts';

/** Each asset: its file (in site-templates/assets, or `apex:` in ApexCharts' dist), its name's base and extension. */
const SOURCES = {
  css: ['site.css', 'site', 'css'],
  theme: ['theme.js', 'theme', 'js'],
  js: ['site.js', 'site', 'js'],
  /** The formatting shared by site.js and charts.js (loaded before them). */
  format: ['format.js', 'format', 'js'],
  apex: ['apex:apexcharts.min.js', 'apexcharts', 'min.js'],
  apexCss: ['apex:apexcharts.css', 'apexcharts', 'css'],
  charts: ['charts.js', 'charts', 'js'], // charts (#14): chart drawing, loaded after site.js
  /** attention (#14 item 8): search, sort and filter in the URL, "no match". */
  nav: ['nav.js', 'nav', 'js'],
  /** issue 14 item 6 (pages): the tasks page's filters. */
  pages: ['task-filters.js', 'task-filters', 'js'],
} as const;

export type AssetNames = Record<keyof typeof SOURCES, string>;

/** Reads the assets once (at builder creation) and names them by content hash. */
export function loadAssets(templatesDir = TEMPLATES_DIR): { names: AssetNames; files: Map<string, Buffer> } {
  const apexDir = dirname(createRequire(import.meta.url).resolve('apexcharts/dist/apexcharts.min.js'));
  const files = new Map<string, Buffer>();
  const names = {} as AssetNames;
  for (const [k, [file, base, ext]] of Object.entries(SOURCES) as Array<[keyof AssetNames, (typeof SOURCES)[keyof AssetNames]]>) {
    const data = readFileSync(file.startsWith('apex:') ? join(apexDir, file.slice(5)) : join(templatesDir, 'assets', file));
    const name = `assets/${base}.${createHash('sha256').update(data).digest('hex').slice(0, 12)}.${ext}`;
    names[k] = name;
    files.set(name, data);
  }
  return { names, files };
}
