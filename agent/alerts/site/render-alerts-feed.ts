// Atom 1.0 (RFC 4287) text of a feed model, pure. Everything is escaped: summaries carry guest
// names, which come from Proxmox and are untrusted.
import type { FeedModel } from './alerts-feed.model.ts';

// Control characters are not allowed in XML 1.0 at all: they are dropped.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F]/g, '');

export function renderAlertsFeed(f: FeedModel): string {
  const entries = f.entries.map((e) => [
    '  <entry>',
    `    <id>${esc(e.id)}</id>`,
    `    <title>${esc(e.title)}</title>`,
    `    <updated>${e.updated}</updated>`,
    `    <category term="${esc(e.category)}"/>`,
    `    <content type="text">${esc(e.content)}</content>`,
    '  </entry>',
  ].join('\n'));
  return [
    '<?xml version="1.0" encoding="utf-8"?>',
    '<feed xmlns="http://www.w3.org/2005/Atom">',
    `  <id>${esc(f.id)}</id>`,
    `  <title>${esc(f.title)}</title>`,
    `  <updated>${f.updated}</updated>`,
    '  <author><name>pmi-agent</name></author>',
    ...entries,
    '</feed>',
    '',
  ].join('\n');
}
