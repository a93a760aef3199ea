// The site's static assets with content-hashed names (cache forever, never stale): our CSS and
// scripts from site-templates/assets and ApexCharts copied from node_modules (no CDN).
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { TEMPLATES_DIR } from './render.ts';

export interface AssetNames {
  css: string;
  theme: string;
  js: string;
  /** The formatting shared by site.js and charts.js (loaded before them). */
  format: string;
  apex: string;
  apexCss: string;
  charts: string; // charts (#14): chart drawing, loaded after site.js
  /** attention (#14 item 8): search, sort and filter in the URL, "no match". */
  nav: string;
  /** issue 14 item 6 (pages): the tasks page's filters. */
  pages: string;
}

export interface SiteAssets {
  names: AssetNames;
  files: Map<string, Buffer>;
}

const hashed = (base: string, ext: string, data: Buffer) => `assets/${base}.${createHash('sha256').update(data).digest('hex').slice(0, 12)}.${ext}`;

/** Reads the assets once (at builder creation) and names them by content hash. */
export function loadAssets(templatesDir = TEMPLATES_DIR): SiteAssets {
  const require = createRequire(import.meta.url);
  const apexDir = dirname(require.resolve('apexcharts/dist/apexcharts.min.js'));
  const src: Record<keyof AssetNames, [string, string, string]> = {
    css: [join(templatesDir, 'assets/site.css'), 'site', 'css'],
    theme: [join(templatesDir, 'assets/theme.js'), 'theme', 'js'],
    js: [join(templatesDir, 'assets/site.js'), 'site', 'js'],
    format: [join(templatesDir, 'assets/format.js'), 'format', 'js'],
    apex: [join(apexDir, 'apexcharts.min.js'), 'apexcharts', 'min.js'],
    apexCss: [join(apexDir, 'apexcharts.css'), 'apexcharts', 'css'],
    charts: [join(templatesDir, 'assets/charts.js'), 'charts', 'js'], // charts (#14)
    nav: [join(templatesDir, 'assets/nav.js'), 'nav', 'js'], // attention (#14 item 8)
    pages: [join(templatesDir, 'assets/task-filters.js'), 'task-filters', 'js'], // issue 14 item 6 (pages)
  };
  const files = new Map<string, Buffer>();
  const names = {} as AssetNames;
  for (const [k, [file, base, ext]] of Object.entries(src) as Array<[keyof AssetNames, [string, string, string]]>) {
    const data = readFileSync(file);
    const name = hashed(base, ext, data);
    names[k] = name;
    files.set(name, data);
  }
  return { names, files };
}
