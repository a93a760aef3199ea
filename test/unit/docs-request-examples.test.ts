// The request examples people copy from the READMEs must be requests the agent accepts (the
// top README once showed an "action" object the parser refuses).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ActionRequest } from '../../agent/inbox/action-request.schema.ts';

const ROOT = join(import.meta.dirname, '../..');

/** Every ```json block of a Markdown file that looks like an action request. */
function requestExamples(file: string): unknown[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  return [...text.matchAll(/```json\n([\s\S]*?)```/g)]
    .map((m) => m[1]!)
    .filter((body) => /"version"\s*:\s*1/.test(body) && /"action"\s*:/.test(body) && /"vmid"/.test(body) && !/"outcome"/.test(body)) // result files aside
    .map((body) => JSON.parse(body) as unknown);
}

describe('request examples in the documentation', () => {
  it.each(['README.md', 'agent/inbox/README.md'])('%s: every action request example parses', (file) => {
    const examples = requestExamples(file);
    expect(examples.length).toBeGreaterThan(0);
    for (const ex of examples) {
      const r = ActionRequest.safeParse(ex);
      expect(r.success, `${file}: ${JSON.stringify(ex)}\n${r.success ? '' : JSON.stringify(r.error.issues)}`).toBe(true);
    }
  });
});
