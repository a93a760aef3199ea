import { describe, expect, it } from 'vitest';
import { parseActionFile } from '../../agent/inbox/parse-action.ts';

const enc = (s: string) => new TextEncoder().encode(s);
const base = { version: 1, id: 'req-1', cluster: 'lab', vmid: 101 };
const j = (o: unknown) => enc(JSON.stringify(o));

describe('parseActionFile accepts every action of format v1', () => {
  it.each([
    [{ action: 'start' }],
    [{ action: 'shutdown', params: { timeoutSeconds: 30, forceStop: true } }],
    [{ action: 'stop' }],
    [{ action: 'reboot', params: { timeoutSeconds: 60 } }],
    [{ action: 'reset' }],
    [{ action: 'suspend', params: { toDisk: true } }],
    [{ action: 'resume' }],
    [{ action: 'snapshot', params: { name: 'before-upgrade', description: 'x', includeRam: true } }],
    [{ action: 'rollback', params: { name: 'before-upgrade', start: true } }],
    [{ action: 'delete-snapshot', params: { name: 'before-upgrade' } }],
    [{ action: 'migrate', params: { target: 'pve2', online: true } }],
    [{ action: 'start', node: 'pve1', notBefore: '2026-11-27T04:00:00Z', expires: 1795000000, reason: 'maintenance' }],
  ])('%j', (extra) => {
    const r = parseActionFile(j({ ...base, ...extra }));
    expect(r.ok, JSON.stringify(r)).toBe(true);
  });
});

describe('parseActionFile rejects with a reason that names the place', () => {
  it.each([
    [enc('{'), /invalid JSON/],
    [enc(''), /invalid JSON/],
    [new Uint8Array([0xff, 0xfe, 0x00, 0x41]), /not valid UTF-8/],
    [enc('{"a":"\u0000"}'), /control characters/],
    [j([1, 2]), /expected object/],
    [j({ ...base, action: 'explode' }), /action: action must be one of/],
    [j({ ...base, version: 2, action: 'start' }), /version: the format version must be 1/],
    [j({ ...base, id: '../etc/passwd', action: 'start' }), /id: use 1–128 characters/],
    [j({ ...base, id: 'x'.repeat(129), action: 'start' }), /id: /],
    [j({ ...base, vmid: '101', action: 'start' }), /vmid: .*expected number/],
    [j({ ...base, vmid: 99, action: 'start' }), /vmid: /],
    [j({ ...base, action: 'snapshot' }), /params: .*expected object/],
    [j({ ...base, action: 'snapshot', params: { name: 'current' } }), /params.name: "current" is reserved/],
    [j({ ...base, action: 'snapshot', params: { name: '1abc' } }), /params.name: a snapshot name/],
    [j({ ...base, action: 'start', params: { force: true } }), /params: Unrecognized key/],
    [j({ ...base, action: 'start', extra: 1 }), /Unrecognized key.*extra/],
    [j({ ...base, action: 'migrate', params: { target: 'no/slash' } }), /params.target: a Proxmox node name/],
    [j({ ...base, action: 'start', expires: 1795000000000 }), /expires: .*milliseconds/],
    [j({ ...base, action: 'start', notBefore: '2026-11-27 04:00' }), /notBefore: /],
    [enc('x'.repeat(65 * 1024)), /limited to 65536 bytes/],
  ] as const)('%#', (bytes, reason) => {
    const r = parseActionFile(bytes);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toMatch(reason);
  });

  it('keeps a valid id of an invalid request so the result is named after it', () => {
    const r = parseActionFile(j({ ...base, vmid: 'x', action: 'start' }));
    expect(r.ok === false && r.id).toBe('req-1');
  });

  it('lists every problem, not just the first', () => {
    const r = parseActionFile(j({ version: 1, id: 'a', cluster: '', vmid: 'x', action: 'start' }));
    expect(r.ok === false && r.problems?.length).toBeGreaterThanOrEqual(2);
  });
});
