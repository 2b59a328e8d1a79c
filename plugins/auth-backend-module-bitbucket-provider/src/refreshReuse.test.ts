import { mockServices } from '@backstage/backend-test-utils';
import { AuthenticationError } from '@backstage/errors';
import { CacheService } from '@backstage/backend-plugin-api';
import { RefreshReuse } from './refreshReuse';

/** What a refresh hands back, as an object like the authenticator's result */
type Tokens = { value: string };
const tokens = (value: string): Tokens => ({ value });

const isSpent = (error: unknown) =>
  (error as Error)?.name === 'AuthenticationError';

/** A cache that records every value written, as a shared store would hold it */
function recordingCache(): { cache: CacheService; written: string[] } {
  const cache = mockServices.cache.mock();
  const store = new Map<string, unknown>();
  const written: string[] = [];
  cache.get.mockImplementation(async key => store.get(key) as any);
  cache.set.mockImplementation(async (key, value) => {
    written.push(`${key} ${value}`);
    store.set(key, value);
  });
  cache.delete.mockImplementation(async key => {
    store.delete(key);
  });
  return { cache, written };
}

describe('RefreshReuse', () => {
  it('gives concurrent refreshes of one token a single request', async () => {
    const reuse = new RefreshReuse<Tokens>({ windowMs: 1000, waitMs: 1000 });
    let calls = 0;
    const refresh = async () => {
      calls++;
      await new Promise(r => setTimeout(r, 20));
      return tokens('new tokens');
    };
    const results = await Promise.all(
      [1, 2, 3].map(() => reuse.refresh('old', refresh, isSpent)),
    );
    expect(results).toEqual([1, 2, 3].map(() => tokens('new tokens')));
    expect(calls).toBe(1);
  });

  it('hands the result to another replica through the shared cache, which never holds a usable token', async () => {
    const { cache, written } = recordingCache();
    const replicaA = new RefreshReuse<object>({
      cache,
      windowMs: 30_000,
      waitMs: 1000,
    });
    const replicaB = new RefreshReuse<object>({
      cache,
      windowMs: 30_000,
      waitMs: 1000,
    });
    const result = {
      refreshToken: 'new-refresh-secret',
      accessToken: 'new-access-secret',
    };
    await replicaA.refresh('old-refresh-secret', async () => result, isSpent);
    const bRefresh = jest.fn();
    await expect(
      replicaB.refresh('old-refresh-secret', bRefresh, isSpent),
    ).resolves.toEqual(result);
    expect(bRefresh).not.toHaveBeenCalled();
    expect(written.length).toBeGreaterThan(0);
    for (const entry of written) {
      expect(entry).not.toMatch(/(new|old)-(refresh|access)-secret/);
      expect(entry).not.toContain(
        Buffer.from('new-refresh-secret').toString('base64'),
      );
    }
    // the result's lifetime in the store is the window
    expect(cache.set).toHaveBeenLastCalledWith(
      expect.any(String),
      expect.any(String),
      { ttl: 30_000 },
    );
  });

  it('lets a replica that lost the race wait for the winner’s result', async () => {
    const { cache } = recordingCache();
    const winner = new RefreshReuse<Tokens>({
      cache,
      windowMs: 30_000,
      waitMs: 2000,
    });
    const loser = new RefreshReuse<Tokens>({
      cache,
      windowMs: 30_000,
      waitMs: 2000,
    });
    let spent = false;
    const bitbucket = async () => {
      if (spent) {
        throw new AuthenticationError('invalid_grant');
      }
      spent = true;
      await new Promise(r => setTimeout(r, 300));
      return tokens('rotated');
    };
    await expect(
      Promise.all([
        winner.refresh('old', bitbucket, isSpent),
        loser.refresh('old', bitbucket, isSpent),
      ]),
    ).resolves.toEqual([tokens('rotated'), tokens('rotated')]);
  });

  it('refuses a token spent long ago without waiting for the whole deadline', async () => {
    const { cache } = recordingCache();
    const reuse = new RefreshReuse<Tokens>({
      cache,
      windowMs: 30_000,
      waitMs: 10_000,
    });
    const started = Date.now();
    await expect(
      reuse.refresh(
        'revoked',
        async () => {
          throw new AuthenticationError('invalid_grant');
        },
        isSpent,
      ),
    ).rejects.toThrow('invalid_grant');
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('keeps nothing when the window is 0, so a second use is refused as Bitbucket refuses it', async () => {
    const { cache } = recordingCache();
    const reuse = new RefreshReuse<Tokens>({
      cache,
      windowMs: 0,
      waitMs: 1000,
    });
    await reuse.refresh('old', async () => tokens('rotated'), isSpent);
    expect(cache.set).not.toHaveBeenCalled();
    await expect(
      reuse.refresh(
        'old',
        async () => {
          throw new AuthenticationError('invalid_grant');
        },
        isSpent,
      ),
    ).rejects.toThrow('invalid_grant');
  });

  it('does not keep a failed refresh, so the next try asks Bitbucket again', async () => {
    const { cache } = recordingCache();
    const reuse = new RefreshReuse<Tokens>({
      cache,
      windowMs: 30_000,
      waitMs: 1000,
    });
    await expect(
      reuse.refresh(
        'old',
        async () => {
          throw new Error('Bitbucket is down');
        },
        isSpent,
      ),
    ).rejects.toThrow('Bitbucket is down');
    await expect(
      reuse.refresh('old', async () => tokens('rotated'), isSpent),
    ).resolves.toEqual(tokens('rotated'));
  });
});
