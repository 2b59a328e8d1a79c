import {
  MAX_ENTRIES,
  REFRESH_TOKEN_IDLE_LIFETIME_MS,
  TokenStore,
} from './tokenStore';

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

  it('rotates a refresh token into a new one with the same grant; the used one is dead', () => {
    const store = new TokenStore();
    const token = store.issueRefreshToken(grant);
    expect(store.findRefreshToken(token)).toEqual({
      status: 'live',
      record: { ...grant, expiresAt: now + REFRESH_TOKEN_IDLE_LIFETIME_MS },
    });
    now += 1000;
    const next = store.rotateRefreshToken(token);
    expect(next).not.toBe(token);
    expect(store.findRefreshToken(token).status).toBe('used');
    expect(store.findRefreshToken(next)).toEqual({
      status: 'live',
      record: { ...grant, expiresAt: now + REFRESH_TOKEN_IDLE_LIFETIME_MS },
    });
    expect(store.findRefreshToken('made-up')).toEqual({ status: 'unknown' });
  });

  it('expires a refresh token unused for its idle lifetime, or on demand', () => {
    const store = new TokenStore();
    const token = store.issueRefreshToken(grant);
    now += REFRESH_TOKEN_IDLE_LIFETIME_MS - 1;
    expect(store.findRefreshToken(token).status).toBe('live');
    now += 1;
    expect(store.findRefreshToken(token).status).toBe('expired');

    const fresh = store.issueRefreshToken(grant);
    const bob = store.issueRefreshToken({ ...grant, username: 'bob-bb' });
    store.expireRefreshTokens('bob-bb');
    expect(store.findRefreshToken(bob).status).toBe('expired');
    expect(store.findRefreshToken(fresh).status).toBe('live');
    store.expireRefreshTokens();
    expect(store.findRefreshToken(fresh).status).toBe('expired');
  });

  it('revokes refresh tokens per user or all', () => {
    const store = new TokenStore();
    const alice = store.issueRefreshToken(grant);
    const bob = store.issueRefreshToken({ ...grant, username: 'bob-bb' });
    const used = store.issueRefreshToken(grant);
    store.rotateRefreshToken(used);
    store.revokeRefreshTokens('alice-bb');
    expect(store.findRefreshToken(alice).status).toBe('unknown');
    expect(store.findRefreshToken(used).status).toBe('unknown');
    expect(store.findRefreshToken(bob).status).toBe('live');
    store.revokeRefreshTokens();
    expect(store.findRefreshToken(bob).status).toBe('unknown');
  });

  it('caps each map so memory stays bounded', () => {
    const store = new TokenStore();
    const first = store.issueRefreshToken(grant);
    for (let i = 0; i < MAX_ENTRIES + 10; i++) {
      store.issueRefreshToken(grant);
    }
    expect(store.sizes().refreshTokens).toBe(MAX_ENTRIES);
    expect(store.findRefreshToken(first).status).toBe('unknown');
  });
});
