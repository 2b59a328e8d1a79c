import { randomBytes } from 'node:crypto';

/** Who a code or token was issued to, and with which scopes */
export interface Grant {
  consumerKey: string;
  username: string;
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
  /** Set once the token has been rotated away: it works until then */
  validUntil?: number;
}

/** How long a rotated-away refresh token keeps working */
export const REFRESH_TOKEN_GRACE_MS = 30_000;
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
  /** Rotated-away refresh tokens within their grace period, in validUntil order */
  readonly #retiringRefreshTokens = new Map<string, RefreshTokenRecord>();

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
    this.#refreshTokens.set(token, { ...grant });
    return token;
  }

  /** A refresh token that still works, or undefined */
  getRefreshToken(token: string): RefreshTokenRecord | undefined {
    const current = this.#refreshTokens.get(token);
    if (current) {
      return current;
    }
    const retiring = this.#retiringRefreshTokens.get(token);
    if (retiring && retiring.validUntil! > Date.now()) {
      return retiring;
    }
    return undefined;
  }

  /** Rotation: the token keeps working for the grace period, then is invalid */
  retireRefreshToken(token: string): void {
    const record = this.#refreshTokens.get(token);
    if (!record) {
      return; // already retiring: its grace period does not restart
    }
    const now = Date.now();
    sweep(this.#retiringRefreshTokens, t => t.validUntil! <= now);
    this.#refreshTokens.delete(token);
    this.#retiringRefreshTokens.set(token, {
      ...record,
      validUntil: now + REFRESH_TOKEN_GRACE_MS,
    });
  }

  /** Revokes the refresh tokens of one user, or of everyone */
  revokeRefreshTokens(username?: string): void {
    for (const map of [this.#refreshTokens, this.#retiringRefreshTokens]) {
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
      refreshTokens:
        this.#refreshTokens.size + this.#retiringRefreshTokens.size,
    };
  }
}
