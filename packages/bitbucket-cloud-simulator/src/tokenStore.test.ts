import { MAX_ENTRIES, REFRESH_TOKEN_GRACE_MS, TokenStore } from './tokenStore';

const grant = { consumerKey: 'k', username: 'alice-bb', scopes: ['account'] };

describe('TokenStore', () => {
  let now: number;

  beforeEach(() => {
    now = 1_700_000_000_000;
    jest.spyOn(Date, 'now').mockImplementation(() => now);
  });

  afterEach(() => {
    jest.restoreAllMocks();
  });

  it('issues distinct random url-safe secrets', () => {
    const store = new TokenStore();
    const tokens = new Set(
      Array.from({ length: 100 }, () => store.issueAccessToken(grant, 1000)),
    );
    expect(tokens.size).toBe(100);
    for (const token of tokens) {
      expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    }
  });

  it('stays flat over 10,000 sign-ins whose codes expire unused', () => {
    const store = new TokenStore();
    for (let i = 0; i < 10_000; i++) {
      store.issueCode(grant, undefined, 300_000);
      now += 1000; // one sign-in a second: codes live 300 s
    }
    expect(store.sizes().codes).toBeLessThanOrEqual(301);
  });

  it('removes used codes and keeps unexpired ones', () => {
    const store = new TokenStore();
    const code = store.issueCode(grant, 'http://cb', 300_000);
    expect(store.getCode(code)).toMatchObject({
      ...grant,
      redirectUri: 'http://cb',
    });
    store.deleteCode(code);
    expect(store.getCode(code)).toBeUndefined();
    expect(store.sizes().codes).toBe(0);
  });

  it('remembers expired access tokens for an hour, then forgets them', () => {
    const store = new TokenStore();
    const old = store.issueAccessToken(grant, 7_200_000);
    store.expireAccessTokens();
    expect(store.getAccessToken(old)!.expiresAt).toBeLessThanOrEqual(now);
    now += 30 * 60 * 1000;
    store.issueAccessToken(grant, 7_200_000);
    expect(store.getAccessToken(old)).toBeDefined();
    now += 31 * 60 * 1000;
    store.issueAccessToken(grant, 7_200_000);
    expect(store.getAccessToken(old)).toBeUndefined();
    expect(store.sizes().accessTokens).toBe(2);
  });

  it('lets a rotated refresh token work during the grace period only', () => {
    const store = new TokenStore();
    const token = store.issueRefreshToken(grant);
    store.retireRefreshToken(token);
    now += REFRESH_TOKEN_GRACE_MS - 1;
    expect(store.getRefreshToken(token)).toBeDefined();
    store.retireRefreshToken(token); // does not restart the grace period
    now += 1;
    expect(store.getRefreshToken(token)).toBeUndefined();
    // the dead entry is swept on the next rotation
    const next = store.issueRefreshToken(grant);
    store.retireRefreshToken(next);
    expect(store.sizes().refreshTokens).toBe(1);
  });

  it('revokes refresh tokens per user or all', () => {
    const store = new TokenStore();
    const alice = store.issueRefreshToken(grant);
    const bob = store.issueRefreshToken({ ...grant, username: 'bob-bb' });
    store.revokeRefreshTokens('alice-bb');
    expect(store.getRefreshToken(alice)).toBeUndefined();
    expect(store.getRefreshToken(bob)).toBeDefined();
    store.revokeRefreshTokens();
    expect(store.getRefreshToken(bob)).toBeUndefined();
  });

  it('caps each map so memory stays bounded', () => {
    const store = new TokenStore();
    const first = store.issueRefreshToken(grant);
    for (let i = 0; i < MAX_ENTRIES + 10; i++) {
      store.issueRefreshToken(grant);
    }
    expect(store.sizes().refreshTokens).toBe(MAX_ENTRIES);
    expect(store.getRefreshToken(first)).toBeUndefined();
  });
});
