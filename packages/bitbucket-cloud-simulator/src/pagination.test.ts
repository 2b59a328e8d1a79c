import { paginate } from './pagination';

describe('paginate', () => {
  const values = Array.from({ length: 25 }, (_, i) => i);
  const self = 'http://127.0.0.1:1/2.0/user/emails';

  it('defaults to pages of 10 and links the next page, keeping other parameters', () => {
    const page = paginate(values, new URLSearchParams('q=x&pagelen=10'), self);
    expect(page).toEqual({
      pagelen: 10,
      size: 25,
      page: 1,
      values: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
      next: `${self}?q=x&pagelen=10&page=2`,
    });
  });

  it('has no next on the last page', () => {
    const page = paginate(values, new URLSearchParams('page=3'), self);
    expect(page.values).toEqual([20, 21, 22, 23, 24]);
    expect(page).not.toHaveProperty('next');
  });

  it('clamps pagelen to 100 and ignores invalid numbers', () => {
    expect(
      paginate(values, new URLSearchParams('pagelen=500'), self).pagelen,
    ).toBe(100);
    expect(
      paginate(values, new URLSearchParams('pagelen=abc'), self).pagelen,
    ).toBe(10);
    expect(paginate(values, new URLSearchParams('page=0'), self).page).toBe(1);
  });

  it('answers an empty page past the end', () => {
    const page = paginate(values, new URLSearchParams('page=9'), self);
    expect(page.values).toEqual([]);
    expect(page.next).toBeUndefined();
  });
});
