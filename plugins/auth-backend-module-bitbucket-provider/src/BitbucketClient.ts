import { LoggerService } from '@backstage/backend-plugin-api';
import http from 'node:http';
import https from 'node:https';
import { bitbucketApiRefused, bitbucketUnavailable } from './errors';
import {
  BitbucketEmailResponse,
  BitbucketUserResponse,
  BitbucketWorkspaceMembershipResponse,
  toBitbucketIdentity,
} from './identity';
import { BitbucketIdentity } from './types';

/** Enough for any real account; bounds the work a hostile or broken `next` chain can cause */
const MAX_PAGES = 20;

/** What a GET answered */
interface HttpResult {
  status: number;
  retryAfter?: string;
  text: string;
}

interface Page<T> {
  values?: T[];
  next?: string;
}

/**
 * All REST calls this module makes to api.bitbucket.org, each bounded by the
 * configured timeout, with failures turned into errors an admin can act on.
 */
export class BitbucketClient {
  readonly #apiBaseUrl: string;
  readonly #timeoutMs: number;
  readonly #logger?: LoggerService;
  readonly #includeWorkspaces: boolean;
  readonly #agent: http.Agent;

  constructor(options: {
    apiBaseUrl: string;
    timeoutMs: number;
    logger?: LoggerService;
    /** Also read the user's workspace memberships, for an allow-list or ownership */
    includeWorkspaces?: boolean;
  }) {
    this.#apiBaseUrl = options.apiBaseUrl;
    this.#timeoutMs = options.timeoutMs;
    this.#logger = options.logger;
    this.#includeWorkspaces = options.includeWorkspaces ?? false;
    // kept-alive connections, like the token endpoint's (tokenEndpoint.ts)
    this.#agent = this.#apiBaseUrl.startsWith('https:')
      ? new https.Agent({ keepAlive: true })
      : new http.Agent({ keepAlive: true });
  }

  /**
   * The user, their emails and (when asked) their workspace memberships are
   * requested at the same time, so a sign-in waits for one round trip to
   * Bitbucket instead of two or three.
   */
  async fetchIdentity(accessToken: string): Promise<BitbucketIdentity> {
    // One controller and one timer, cleared on success. AbortSignal.timeout()
    // + AbortSignal.any() + abort() in `finally` cost every sign-in two extra
    // signals, a DOMException and a timer that still fires 10 s later.
    const abandon = new AbortController();
    const deadline = setTimeout(
      () =>
        abandon.abort(
          new DOMException('The operation timed out.', 'TimeoutError'),
        ),
      this.#timeoutMs,
    );
    const signal = abandon.signal;
    try {
      const [user, emails, memberships] = await Promise.all([
        this.#get<BitbucketUserResponse>('/user', accessToken, signal),
        this.#getAllPages<BitbucketEmailResponse>(
          '/user/emails?pagelen=100',
          accessToken,
          signal,
        ),
        this.#includeWorkspaces
          ? this.#getAllPages<BitbucketWorkspaceMembershipResponse>(
              '/user/permissions/workspaces?pagelen=100',
              accessToken,
              signal,
            )
          : undefined,
      ]);
      if (typeof user?.uuid !== 'string') {
        throw this.#unavailable('/user', 'answered without a user uuid');
      }
      return toBitbucketIdentity(user, emails, memberships);
    } catch (error) {
      // stops the sibling request as soon as one of them has failed
      abandon.abort();
      throw error;
    } finally {
      clearTimeout(deadline);
    }
  }

  async #getAllPages<T>(
    pathAndQuery: string,
    accessToken: string,
    signal: AbortSignal,
  ): Promise<T[]> {
    const values: T[] = [];
    let url: string | undefined = `${this.#apiBaseUrl}${pathAndQuery}`;
    for (let page = 0; url && page < MAX_PAGES; page++) {
      const body: Page<T> = await this.#get<Page<T>>(url, accessToken, signal);
      values.push(...(body.values ?? []));
      url = body.next;
    }
    return values;
  }

  async #get<T>(
    pathOrUrl: string,
    accessToken: string,
    signal: AbortSignal,
  ): Promise<T> {
    const url = pathOrUrl.startsWith('/')
      ? `${this.#apiBaseUrl}${pathOrUrl}`
      : pathOrUrl;
    const endpoint = this.#endpointOf(url);
    const request = `GET ${new URL(url).pathname}`;

    let response: HttpResult;
    try {
      response = await this.#fetchWithOneRetry(
        url,
        accessToken,
        signal,
      );
    } catch (error) {
      if (signal.aborted && !isTimeout(signal.reason)) {
        throw error; // a sibling request failed first; its error is the one reported
      }
      throw this.#unavailable(
        endpoint,
        isTimeout(signal.reason)
          ? `did not answer within ${
              this.#timeoutMs
            } ms (auth.providers.bitbucket.<environment>.timeout)`
          : `could not be reached (${describeNetworkError(error)})`,
        request,
      );
    }

    if (response.status === 401 || response.status === 403) {
      this.#logger?.warn(`Bitbucket Cloud refused ${request}`, {
        status: response.status,
        path: new URL(url).pathname,
      });
      throw bitbucketApiRefused({
        request,
        endpoint,
        status: response.status,
        bitbucketMessage: readBitbucketErrorMessage(response.text),
      });
    }
    if (response.status === 429) {
      const { retryAfter } = response;
      throw this.#unavailable(
        endpoint,
        `is rate limited (HTTP 429${
          retryAfter ? `, retry after ${retryAfter} s` : ''
        })`,
        request,
        response.status,
      );
    }
    if (response.status < 200 || response.status >= 300) {
      throw this.#unavailable(
        endpoint,
        `answered HTTP ${response.status}`,
        request,
        response.status,
      );
    }
    try {
      return JSON.parse(response.text) as T;
    } catch {
      throw this.#unavailable(
        endpoint,
        'answered with a body that is not valid JSON',
        request,
        response.status,
      );
    }
  }

  /**
   * These GETs change nothing, so a 5xx or a dropped connection gets one more
   * try, within the same deadline. (The code exchange is never retried: a
   * code works once.)
   */
  async #fetchWithOneRetry(
    url: string,
    accessToken: string,
    signal: AbortSignal,
  ): Promise<HttpResult> {
    for (let attempt = 1; ; attempt++) {
      try {
        const response = await this.#send(url, accessToken, signal);
        if (response.status < 500 || attempt === 2) {
          return response;
        }
      } catch (error) {
        if (signal.aborted || attempt === 2) {
          throw error;
        }
      }
      this.#logger?.info(
        `Bitbucket Cloud failed GET ${new URL(url).pathname}; trying once more`,
      );
    }
  }

  /**
   * One GET through node:http on the kept-alive agent. Global fetch (undici)
   * builds WHATWG Request/Response/Headers objects and a web stream per call;
   * at a burst of sign-ins that was most of this module's extra CPU.
   */
  #send(
    url: string,
    accessToken: string,
    signal: AbortSignal,
  ): Promise<HttpResult> {
    return new Promise((resolve, reject) => {
      const request = (url.startsWith('https:') ? https : http).get(
        url,
        {
          agent: this.#agent,
          headers: {
            authorization: `Bearer ${accessToken}`,
            accept: 'application/json',
          },
          signal,
        },
        response => {
          response.setEncoding('utf8');
          let text = '';
          response.on('data', (chunk: string) => {
            text += chunk;
          });
          response.on('end', () => {
            const retryAfter = response.headers['retry-after'];
            resolve({ status: response.statusCode ?? 0, retryAfter, text });
          });
          response.on('error', reject);
        },
      );
      request.on('error', reject);
    });
  }

  /** Which API endpoint a URL is, relative to the base; refuses links that leave the API */
  #endpointOf(url: string): string {
    if (!url.startsWith(`${this.#apiBaseUrl}/`)) {
      // a `next` link elsewhere would carry the user's token to another host
      throw bitbucketUnavailable(
        'GET (pagination)',
        `returned a link outside ${this.#apiBaseUrl}, which was not followed`,
      );
    }
    return new URL(url).pathname.slice(
      new URL(this.#apiBaseUrl).pathname.length,
    );
  }

  #unavailable(
    endpoint: string,
    reason: string,
    request = `GET ${new URL(this.#apiBaseUrl).pathname}${endpoint}`,
    status?: number,
  ) {
    this.#logger?.warn(`Bitbucket Cloud failed: ${request} ${reason}`, {
      path: new URL(`${this.#apiBaseUrl}${endpoint}`).pathname,
      ...(status ? { status } : {}),
    });
    return bitbucketUnavailable(request, reason);
  }
}

function isTimeout(reason: unknown): boolean {
  return (reason as Error | undefined)?.name === 'TimeoutError';
}

function describeNetworkError(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } })
    ?.cause;
  return (
    cause?.code ??
    (error as { code?: string })?.code ??
    cause?.message ??
    (error as Error)?.message ??
    'unknown error'
  );
}

function readBitbucketErrorMessage(text: string): string | undefined {
  try {
    const body = JSON.parse(text);
    const message = body?.error?.message;
    const required = body?.error?.detail?.required;
    if (typeof message !== 'string') {
      return undefined;
    }
    return Array.isArray(required)
      ? `${message} Required scopes: ${required.join(', ')}`
      : message;
  } catch {
    return undefined;
  }
}
