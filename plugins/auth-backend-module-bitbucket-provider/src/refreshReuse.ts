import { CacheService } from '@backstage/backend-plugin-api';
import {
  createCipheriv,
  createDecipheriv,
  hkdfSync,
  randomBytes,
} from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';

/** How often a replica that lost the race looks for the winner's result */
const POLL_MS = 100;
/** How long a refused refresh looks for a result of a replica it did not see start */
const SPENT_WAIT_MS = 1000;

/** What the cache holds for one refresh token: the attempt on it, then its result */
type Entry<T> =
  | { refreshing: string; result?: undefined }
  | { result: T; refreshing?: undefined };

/**
 * Bitbucket rotates refresh tokens on every use, and every Backstage tab
 * refreshes with the one cookie they share: without help, the first tab's
 * refresh kills the token the others are still sending, and they are signed
 * out. Like Auth0's reuse interval and Okta's grace period, the tokens a
 * refresh got are handed, for a short window, to whoever refreshes with the
 * same token: concurrent refreshes in one process share one request, and other
 * replicas, or a retry after a failure past the token endpoint, find the tokens
 * in the shared cache.
 *
 * The cache never holds a usable token: the entry is keyed by a hash of the
 * old refresh token and encrypted with a key derived from it, so only a
 * holder of that (already spent) token can read it.
 */
export class RefreshReuse<T extends object, R extends object = T> {
  readonly #inFlight = new Map<string, Promise<R>>();

  constructor(
    private readonly options: {
      cache?: CacheService;
      windowMs: number;
      /** How long to wait for a replica that won the race */
      waitMs: number;
      /**
       * What a refresh makes of the tokens it got or was handed (default:
       * the tokens). The window keeps the tokens, so a refresh that fails
       * here after the token was spent can be tried again; concurrent
       * refreshes in one process share one result.
       */
      use?: (tokens: T) => Promise<R>;
      /** Told of each result handed to a refresh that did not fetch it */
      onReuse?: (result: R) => void;
    },
  ) {}

  /**
   * `refresh` spends the token; `isSpent` tells a refusal because another
   * process spent it first
   */
  async refresh(
    refreshToken: string,
    refresh: () => Promise<T>,
    isSpent: (error: unknown) => boolean,
  ): Promise<R> {
    if (this.options.windowMs <= 0) {
      return this.#use(await refresh());
    }
    const keys = deriveKeys(refreshToken);
    const running = this.#inFlight.get(keys.id);
    if (running) {
      // its own copy: the refresh that fetched it holds the original
      return this.#reused({ ...(await running) });
    }
    const shared = this.#refreshOnce(keys, refresh, isSpent).finally(() =>
      this.#inFlight.delete(keys.id),
    );
    this.#inFlight.set(keys.id, shared);
    return shared;
  }

  async #refreshOnce(
    keys: Keys,
    refresh: () => Promise<T>,
    isSpent: (error: unknown) => boolean,
  ): Promise<R> {
    const seen = await this.#read(keys);
    if (seen?.result !== undefined) {
      return this.#reused(await this.#use(seen.result));
    }
    if (seen?.refreshing) {
      // another replica is on it: its result is the one every tab needs
      const result = await this.#awaitResult(keys, this.options.waitMs);
      if (result !== undefined) {
        return this.#reused(await this.#use(result));
      }
    }
    const attempt = randomBytes(8).toString('hex');
    await this.#write(keys, { refreshing: attempt }, this.options.waitMs);
    const marked = await this.#read(keys);
    if (marked?.refreshing && marked.refreshing !== attempt) {
      // marked at the same moment: the last mark refreshes, the others wait
      const result = await this.#awaitResult(keys, this.options.waitMs);
      if (result !== undefined) {
        return this.#reused(await this.#use(result));
      }
    }
    let tokens: T;
    try {
      tokens = await refresh();
    } catch (error) {
      if (!isSpent(error)) {
        await this.options.cache?.delete(keys.id);
        throw error;
      }
      // Spent by a replica that marked at the same moment, or long ago
      // (revoked, expired, an old copy of the cookie): a short wait tells
      // them apart without holding up a sign-out for long.
      const late = await this.#awaitResult(
        keys,
        Math.min(this.options.waitMs, SPENT_WAIT_MS),
      );
      if (late !== undefined) {
        return this.#reused(await this.#use(late));
      }
      throw error;
    }
    await this.#write(keys, { result: tokens }, this.options.windowMs);
    return this.#use(tokens);
  }

  #use(tokens: T): Promise<R> {
    return this.options.use?.(tokens) ?? Promise.resolve(tokens as object as R);
  }

  #reused(result: R): R {
    this.options.onReuse?.(result);
    return result;
  }

  async #awaitResult(keys: Keys, waitMs: number): Promise<T | undefined> {
    const deadline = Date.now() + waitMs;
    while (Date.now() < deadline) {
      await sleep(POLL_MS);
      const entry = await this.#read(keys);
      if (entry?.result !== undefined || !entry) {
        return entry?.result;
      }
    }
    return undefined;
  }

  async #read(keys: Keys): Promise<Entry<T> | undefined> {
    const sealed = await this.options.cache?.get<string>(keys.id);
    if (typeof sealed !== 'string') {
      return undefined;
    }
    try {
      const box = Buffer.from(sealed, 'base64');
      const decipher = createDecipheriv(
        'aes-256-gcm',
        keys.secret,
        box.subarray(0, 12),
      );
      decipher.setAuthTag(box.subarray(12, 28));
      return JSON.parse(
        Buffer.concat([
          decipher.update(box.subarray(28)),
          decipher.final(),
        ]).toString('utf8'),
      );
    } catch {
      return undefined;
    }
  }

  async #write(keys: Keys, entry: Entry<T>, ttlMs: number): Promise<void> {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', keys.secret, iv);
    const sealed = Buffer.concat([
      cipher.update(JSON.stringify(entry), 'utf8'),
      cipher.final(),
    ]);
    await this.options.cache?.set(
      keys.id,
      Buffer.concat([iv, cipher.getAuthTag(), sealed]).toString('base64'),
      { ttl: ttlMs },
    );
  }
}

interface Keys {
  /** Where the result is stored: reveals nothing about the token */
  id: string;
  /** What it is encrypted with: only a holder of the token can derive it */
  secret: Buffer;
}

function deriveKeys(refreshToken: string): Keys {
  const derive = (info: string) =>
    Buffer.from(hkdfSync('sha256', refreshToken, '', info, 32));
  return {
    id: `bitbucket-refresh-reuse:${derive('cache key').toString('base64url')}`,
    secret: derive('encryption key'),
  };
}
