import { randomBytes } from 'node:crypto';

/** Who a code or token was issued to, and with which scopes */
export interface Grant {
  consumerKey: string;
  /** The account the token acts as; none for the consumer's app user (client-credentials grant) */
  username?: string;
  scopes: string[];
}

export interface CodeRecord extends Grant {
  /** The redirect_uri of the authorize request, if it had one */
  redirectUri?: string;
  expiresAt: number;
}

export interface AccessTokenRecord extends Grant {
  expiresAt: number;
}

export interface RefreshTokenRecord extends Grant {
  /** It expires unless used (and so rotated) before then */
  expiresAt: number;
}

/** What a refresh token is now: usable, or why not */
export type RefreshTokenLookup =
  | { status: 'live' | 'used' | 'expired'; record: RefreshTokenRecord }
  | { status: 'unknown' };

/** A refresh token unused for 3 months expires (Bitbucket Cloud, since May 2026) */
export const REFRESH_TOKEN_IDLE_LIFETIME_MS = 90 * 24 * 60 * 60 * 1000;
/** How long an expired access token is remembered, to answer "Access token expired." rather than "invalid" */
const EXPIRED_ACCESS_TOKEN_RETENTION_MS = 60 * 60 * 1000;
/**
 * Upper bound per map (about 12 MB each), so memory stays bounded whatever
 * the load; the oldest entries go first.
 */
export const MAX_ENTRIES = 50_000;

function newSecret(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * Removes dead entries from the front of an insertion-ordered map and caps its
 * size. Each map's entries die in insertion order (same lifetime for all), so
 * this amortises to constant work per insert with no timers.
 */
function sweep<V>(map: Map<string, V>, isDead: (value: V) => boolean) {
  for (const [key, value] of map) {
    if (map.size >= MAX_ENTRIES || isDead(value)) {
      map.delete(key);
    } else {
      break;
    }
  }
}

/**
 * Authorization codes, access tokens and refresh tokens, held in Maps keyed by
 * the random secret; expired entries are cleaned up lazily on insert.
 */
export class TokenStore {
  readonly #codes = new Map<string, CodeRecord>();
  readonly #accessTokens = new Map<string, AccessTokenRecord>();
  readonly #refreshTokens = new Map<string, RefreshTokenRecord>();
  /** Refresh tokens rotated away, remembered to tell "already used" from "unknown" */
  readonly #usedRefreshTokens = new Map<string, RefreshTokenRecord>();

  issueCode(grant: Grant, redirectUri: string | undefined, ttlMs: number) {
    const now = Date.now();
    sweep(this.#codes, c => c.expiresAt <= now);
    const code = newSecret();
    this.#codes.set(code, { ...grant, redirectUri, expiresAt: now + ttlMs });
    return code;
  }

  getCode(code: string): CodeRecord | undefined {
    return this.#codes.get(code);
  }

  deleteCode(code: string): void {
    this.#codes.delete(code);
  }

  issueAccessToken(grant: Grant, ttlMs: number): string {
    const now = Date.now();
    sweep(
      this.#accessTokens,
      t => t.expiresAt + EXPIRED_ACCESS_TOKEN_RETENTION_MS <= now,
    );
    const token = newSecret();
    this.#accessTokens.set(token, { ...grant, expiresAt: now + ttlMs });
    return token;
  }

  getAccessToken(token: string): AccessTokenRecord | undefined {
    return this.#accessTokens.get(token);
  }

  /** Every access token issued so far is expired from now on */
  expireAccessTokens(): void {
    const now = Date.now();
    for (const record of this.#accessTokens.values()) {
      record.expiresAt = Math.min(record.expiresAt, now);
    }
  }

  issueRefreshToken(grant: Grant): string {
    sweep(this.#refreshTokens, () => false);
    const token = newSecret();
    this.#refreshTokens.set(token, {
      ...grant,
      expiresAt: Date.now() + REFRESH_TOKEN_IDLE_LIFETIME_MS,
    });
    return token;
  }

  findRefreshToken(token: string): RefreshTokenLookup {
    const live = this.#refreshTokens.get(token);
    if (live) {
      const status = live.expiresAt <= Date.now() ? 'expired' : 'live';
      return { status, record: live };
    }
    const used = this.#usedRefreshTokens.get(token);
    return used ? { status: 'used', record: used } : { status: 'unknown' };
  }

  /** Bitbucket rotates on every use: the token is dead from now on, a new one with the same grant replaces it */
  rotateRefreshToken(token: string): string {
    const record = this.#refreshTokens.get(token);
    if (!record) {
      throw new Error('Only a live refresh token can be rotated');
    }
    this.#refreshTokens.delete(token);
    sweep(this.#usedRefreshTokens, () => false);
    this.#usedRefreshTokens.set(token, record);
    const { consumerKey, username, scopes } = record;
    return this.issueRefreshToken({ consumerKey, username, scopes });
  }

  /** The refresh tokens of one user, or of everyone, count as unused for 3 months from now on */
  expireRefreshTokens(username?: string): void {
    const now = Date.now();
    for (const record of this.#refreshTokens.values()) {
      if (username === undefined || record.username === username) {
        record.expiresAt = Math.min(record.expiresAt, now);
      }
    }
  }

  /** Revokes the refresh tokens of one user, or of everyone */
  revokeRefreshTokens(username?: string): void {
    for (const map of [this.#refreshTokens, this.#usedRefreshTokens]) {
      if (username === undefined) {
        map.clear();
        continue;
      }
      for (const [token, record] of map) {
        if (record.username === username) {
          map.delete(token);
        }
      }
    }
  }

  /** Entry counts, for tests of the cleanup */
  sizes() {
    return {
      codes: this.#codes.size,
      accessTokens: this.#accessTokens.size,
      refreshTokens: this.#refreshTokens.size,
      usedRefreshTokens: this.#usedRefreshTokens.size,
    };
  }
}
