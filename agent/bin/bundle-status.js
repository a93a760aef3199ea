// Is dist/pmi-agent.js (built by scripts/build.ts) current? Plain JavaScript, because the bin must
// decide before tsx is loaded. Current = the bundle and its inputs list exist, and no source file
// it was built from changed after it (mtime) or went missing. Costs one stat per input (~150).
/* global URL -- a Node module */
import { readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * @param {string} bundle absolute path of the bundle; its inputs list sits next to it
 * @param {string} [root] the directory the inputs are relative to (default: the bundle's parent's parent)
 * @returns {{ current: boolean, reason?: string }}
 */
export function bundleStatus(bundle, root = dirname(dirname(bundle))) {
  let built;
  try {
    built = statSync(bundle).mtimeMs;
  } catch {
    return { current: false, reason: `${bundle} does not exist (npm run build)` };
  }
  let inputs;
  try {
    inputs = JSON.parse(readFileSync(bundle.replace(/\.js$/, '.inputs.json'), 'utf8')).inputs;
    if (!Array.isArray(inputs) || inputs.length === 0) throw new Error('empty');
  } catch {
    return { current: false, reason: `the inputs list of ${bundle} is missing or unreadable (npm run build)` };
  }
  for (const rel of inputs) {
    let m;
    try {
      m = statSync(join(root, rel)).mtimeMs;
    } catch {
      return { current: false, reason: `${rel} (an input of the bundle) is gone` };
    }
    if (m > built) return { current: false, reason: `${rel} changed after the bundle was built` };
  }
  return { current: true };
}

/** The bundle the bin prefers, next to agent/ in the application directory. */
export const AGENT_BUNDLE = fileURLToPath(new URL('../../dist/pmi-agent.js', import.meta.url));
