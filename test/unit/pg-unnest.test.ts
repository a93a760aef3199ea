import { describe, expect, it } from 'vitest';
import { arrayLiteral } from '../../agent/store/pg-unnest.ts';

// The column arrays sent to PostgreSQL's unnest() (issue 17 item 5); the round trip through a
// real server is tested in test/unit/store-snapshot.test.ts.
describe('arrayLiteral', () => {
  it.each([
    [[1, -2, 3.5, 1e-7, null, undefined], true, '{1,-2,3.5,1e-7,NULL,NULL}'],
    [[1, null], false, '{"1",NULL}'],
    [['a', 'b,c', '{x}', 'NULL', ''], false, '{"a","b,c","{x}","NULL",""}'],
    [['say "hi"', 'C:\\dir', '\\"'], false, '{"say \\"hi\\"","C:\\\\dir","\\\\\\""}'],
    [[true, false], true, '{true,false}'],
    [[], true, '{}'],
  ])('%j (numeric %s) → %s', (values, numeric, literal) => {
    expect(arrayLiteral(values, numeric)).toBe(literal);
  });

  it('leaves a column holding anything else (an object, a Buffer) to node-postgres', () => {
    const values = [1, Buffer.from('x')];
    expect(arrayLiteral(values, true)).toBe(values);
  });
});
