import { toEntityName } from './entityNames';

describe('entity names', () => {
  it('toEntityName keeps only characters an entity name allows', () => {
    expect(toEntityName('{5c1f-00}')).toBe('5c1f-00');
    expect(toEntityName('a@b c')).toBe('a-b-c');
    expect(toEntityName('x'.repeat(80))).toHaveLength(63);
  });
});
