// WCAG AA: text colours of both themes, as declared in site.css, against the backgrounds they sit on.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const css = readFileSync(resolve(import.meta.dirname, '../../site-templates/assets/site.css'), 'utf8');

function vars(block: string): Record<string, string> {
  return Object.fromEntries([...block.matchAll(/--([a-z-]+):\s*(#[0-9a-f]{6})/gi)].map((m) => [m[1]!, m[2]!]));
}
const light = vars(/:root \{([^}]*)\}/.exec(css)![1]!);
const dark = vars(/:root\[data-theme="dark"\] \{([^}]*)\}/.exec(css)![1]!);

function luminance(hex: string): number {
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255).map((c) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4));
  return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
}
function contrast(a: string, b: string): number {
  const [x, y] = [luminance(a), luminance(b)].sort((p, q) => q - p);
  return (x! + 0.05) / (y! + 0.05);
}

const PAIRS: Array<[string, string]> = [
  ['fg', 'bg'], ['fg', 'panel'], ['muted', 'bg'], ['muted', 'panel'], ['link', 'bg'], ['link', 'panel'],
  ['ok', 'bg'], ['ok', 'panel'], ['bad', 'bg'], ['bad', 'panel'], ['warn', 'bg'], ['warn', 'panel'],
  ['tag-fg', 'tag-bg'], ['banner-fg', 'banner-bg'], ['bg', 'link'] /* pressed buttons */,
];

describe('theme contrast (WCAG AA, 4.5:1 for text)', () => {
  for (const [name, theme] of [['light', light], ['dark', dark]] as const) {
    it.each(PAIRS)(`${name}: %s on %s`, (fg, bg) => {
      expect(theme[fg], fg).toBeDefined();
      expect(contrast(theme[fg]!, theme[bg]!)).toBeGreaterThanOrEqual(4.5);
    });
  }

  it('the dark theme for prefers-color-scheme matches the toggled dark theme', () => {
    const media = vars(/:root:not\(\[data-theme="light"\]\) \{([^}]*)\}/.exec(css)![1]!);
    expect(media).toEqual(dark);
  });
});
