import { describe, expect, it } from 'vitest';
import { redactUrl } from '../../agent/store/pg-dialect.ts';

describe('redactUrl: a database URL as logs and messages show it', () => {
  it('hides the password of the user-info part', () => {
    expect(redactUrl('postgres://pmi:s3cret@db.example.net:5432/pmi')).toBe('postgres://pmi:***@db.example.net:5432/pmi');
  });
  it('hides a password given as a query parameter, which node-postgres also reads', () => {
    const shown = redactUrl('postgres://pmi@db.example.net/pmi?password=s3cret&sslpassword=k3y&application_name=x');
    expect(shown).not.toContain('s3cret');
    expect(shown).not.toContain('k3y');
    expect(shown).toContain('application_name=x');
  });
  it('never echoes a URL it cannot parse', () => {
    expect(redactUrl('postgres://pmi:s3cret@[bad')).toBe('(unparsable database URL)');
  });
});
