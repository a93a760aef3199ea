// The usage bar (attention #14) is one partial, site-templates/partials/usage-bar.eta, drawn by the
// nodes and storage tables alike; a cell without a bar draws none. The guests table's live cells
// are rendered empty: site.js fills them from status.json and nav.js draws their bars.
import { describe, expect, it } from 'vitest';
import { createRenderer } from '../../agent/site/render.ts';

const render = createRenderer();
const cell = (text: string, bar?: { pct: number; level: string }) => ({ text, v: 1, ...(bar && { bar }) });
const meter = (pct: number, level: string) => `<meter class="u u-${level}" min="0" max="100" value="${pct}" aria-hidden="true"></meter>`;

describe('usage bar partial', () => {
  it('draws the same meter in the node and storage tables, before the value, and nothing without a bar', () => {
    const guest = { key: 'k', href: 'h', name: 'web', vmid: 101, type: 'qemu', cluster: 'c', clusterHref: 'ch', node: 'n1', nodeHref: 'nh', status: 'running', template: false, maxmem: cell('2 GiB'), tags: [] };
    const node = { node: 'n1', href: 'h', cluster: 'c', clusterHref: 'ch', status: 'online', cpu: cell('5 %', { pct: 5, level: 'ok' }), mem: cell('–'), disk: cell('97 %', { pct: 97, level: 'crit' }), load: cell('0'), uptime: cell('1'), guests: 1 };
    const storage = { storage: 's', node: 'n1', nodeHref: 'nh', cluster: 'c', clusterHref: 'ch', type: 'dir', shared: false, status: 'available', used: cell('1'), total: cell('2'), pct: cell('95 %', { pct: 95, level: 'crit' }), nearFull: true };
    const guests = render('partials/guests-table', { id: 'g', rows: [guest], live: true, showCluster: true });
    const nodes = render('partials/nodes-table', { id: 'n', rows: [node], live: true });
    const storages = render('partials/storage-table', { id: 's', rows: [storage] });
    expect(guests).toContain('<td><span class="v">–</span><td><span class="v">– / 2 GiB</span><td class="opt">–');
    expect(guests).not.toContain('<meter');
    expect(nodes).toContain(`${meter(5, 'ok')}<span class="v">5 %</span>`);
    expect(nodes).toContain(`${meter(97, 'crit')}<span class="v">97 %</span>`);
    expect(nodes.match(/<meter/g)).toHaveLength(2);
    expect(storages).toContain(`${meter(95, 'crit')}<span class="v">95 %</span>`);
  });
});
