import { LoggerService } from '@backstage/backend-plugin-api';
import {
  AnswerTooLarge,
  BitbucketAnswer,
  BitbucketConnection,
  failureReason,
} from './BitbucketConnection';
import { Deadline } from './deadline';
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

/** A page of 100 emails or workspaces is a few tens of KiB */
const MAX_API_ANSWER_BYTES = 1024 * 1024;

interface Page<T> {
  values?: T[];
  next?: string;
}

/** The headers of every REST call for one access token */
type ApiHeaders = { authorization: string; accept: string };

/**
 * All REST calls this module makes to api.bitbucket.org, each bounded by the
 * configured timeout, with failures turned into errors an admin can act on.
 */
export class BitbucketClient {
  /** e.g. `https://api.bitbucket.org/2.0`, without a trailing slash */
  readonly #apiBaseUrl: string;
  /** e.g. `https://api.bitbucket.org` */
  readonly #apiOrigin: string;
  /** e.g. `/2.0` */
  readonly #apiBasePath: string;
  readonly #api: BitbucketConnection;
  readonly #timeoutMs: number;
  readonly #logger?: LoggerService;
  readonly #includeWorkspaces: boolean;

  constructor(options: {
    apiBaseUrl: string;
    timeoutMs: number;
    logger?: LoggerService;
    /** Also read the user's workspace memberships, for an allow-list or ownership */
    includeWorkspaces?: boolean;
  }) {
    this.#apiBaseUrl = options.apiBaseUrl.replace(/\/+$/, '');
    const apiBase = new URL(this.#apiBaseUrl);
    this.#apiOrigin = apiBase.origin;
    this.#apiBasePath = apiBase.pathname.replace(/\/$/, '');
    this.#api = new BitbucketConnection(this.#apiBaseUrl, {
      maxAnswerBytes: MAX_API_ANSWER_BYTES,
    });
    this.#timeoutMs = options.timeoutMs;
    this.#logger = options.logger;
    this.#includeWorkspaces = options.includeWorkspaces ?? false;
  }

  /**
   * The user, their emails and (when asked) their workspace memberships are
   * requested at the same time, so a sign-in waits for one round trip to
   * Bitbucket instead of two or three.
   */
  async fetchIdentity(accessToken: string): Promise<BitbucketIdentity> {
    const deadline = new Deadline(this.#timeoutMs);
    const headers: ApiHeaders = {
      authorization: `Bearer ${accessToken}`,
      accept: 'application/json',
    };
    try {
      const [user, emails, memberships] = await Promise.all([
        this.#get<BitbucketUserResponse>('/user', headers, deadline),
        this.#getAllPages<BitbucketEmailResponse>(
          '/user/emails?pagelen=100',
          headers,
          deadline,
        ),
        this.#includeWorkspaces
          ? this.#getAllPages<BitbucketWorkspaceMembershipResponse>(
              '/user/permissions/workspaces?pagelen=100',
              headers,
              deadline,
            )
          : undefined,
      ]);
      if (typeof user?.uuid !== 'string') {
        throw this.#unavailable('/user', 'answered without a user uuid');
      }
      return toBitbucketIdentity(user, emails, memberships);
    } catch (error) {
      // stops the sibling request as soon as one of them has failed
      deadline.cancel();
      throw error;
    } finally {
      deadline.clear();
    }
  }

  async #getAllPages<T>(
    firstPage: string,
    headers: ApiHeaders,
    deadline: Deadline,
  ): Promise<T[]> {
    const values: T[] = [];
    let page: string | undefined = firstPage;
    for (let count = 0; page !== undefined && count < MAX_PAGES; count++) {
      const body: Page<T> = await this.#get<Page<T>>(page, headers, deadline);
      values.push(...(body.values ?? []));
      page =
        typeof body.next === 'string' && body.next
          ? this.#relative(body.next)
          : undefined;
    }
    return values;
  }

  /**
   * A `next` link as a path under the API base. A link is refused unless,
   * with its dot segments resolved, it stays on the API host under the base
   * path: following it would carry the user's token elsewhere.
   */
  #relative(link: string): string {
    let url: URL | undefined;
    try {
      url = new URL(link);
    } catch {
      url = undefined;
    }
    if (
      !url ||
      url.origin !== this.#apiOrigin ||
      !url.pathname.startsWith(`${this.#apiBasePath}/`)
    ) {
      throw bitbucketUnavailable(
        'GET (pagination)',
        `returned a link outside ${this.#apiBaseUrl}, which was not followed`,
      );
    }
    return `${url.pathname.slice(this.#apiBasePath.length)}${url.search}`;
  }

  /** `pathAndQuery` is under the API base, e.g. `/user/emails?pagelen=100` */
  async #get<T>(
    pathAndQuery: string,
    headers: ApiHeaders,
    deadline: Deadline,
  ): Promise<T> {
    const queryAt = pathAndQuery.indexOf('?');
    const endpoint =
      queryAt < 0 ? pathAndQuery : pathAndQuery.slice(0, queryAt);
    const path = `${this.#apiBasePath}${endpoint}`;
    const request = `GET ${path}`;

    let answer: BitbucketAnswer;
    try {
      answer = await this.#sendWithOneRetry(
        `${this.#apiBasePath}${pathAndQuery}`,
        headers,
        deadline,
        request,
      );
    } catch (error) {
      if (deadline.stopped && !deadline.expired) {
        throw error; // a sibling request failed first; its error is the one reported
      }
      throw this.#unavailable(endpoint, failureReason(error, deadline));
    }

    const { status, body } = answer;
    if (status === 401 || status === 403) {
      this.#logger?.warn(`Bitbucket Cloud refused ${request}`, {
        status,
        path,
      });
      throw bitbucketApiRefused({
        request,
        endpoint,
        status,
        bitbucketMessage: readBitbucketErrorMessage(body),
      });
    }
    if (status === 429) {
      const { retryAfter } = answer;
      throw this.#unavailable(
        endpoint,
        `is rate limited (HTTP 429${
          retryAfter ? `, retry after ${retryAfter} s` : ''
        })`,
        status,
      );
    }
    if (status < 200 || status >= 300) {
      throw this.#unavailable(endpoint, `answered HTTP ${status}`, status);
    }
    if (body === undefined) {
      throw this.#unavailable(
        endpoint,
        'answered with a body that is not valid JSON',
        status,
      );
    }
    return body as T;
  }

  /**
   * These GETs change nothing, so a 5xx or a dropped connection gets one more
   * try, within the same deadline. (The code exchange is never retried: a
   * code works once.)
   */
  async #sendWithOneRetry(
    path: string,
    headers: ApiHeaders,
    deadline: Deadline,
    request: string,
  ): Promise<BitbucketAnswer> {
    for (let attempt = 1; ; attempt++) {
      try {
        const answer = await this.#api.send(
          { method: 'GET', path, headers },
          deadline,
        );
        if (answer.status < 500 || attempt === 2) {
          return answer;
        }
      } catch (error) {
        // a second answer would be just as large
        if (
          deadline.stopped ||
          attempt === 2 ||
          error instanceof AnswerTooLarge
        ) {
          throw error;
        }
      }
      this.#logger?.info(`Bitbucket Cloud failed ${request}; trying once more`);
    }
  }

  /** Logs the failure with method, path and status, and words it for the admin */
  #unavailable(endpoint: string, reason: string, status?: number) {
    const path = `${this.#apiBasePath}${endpoint}`;
    const request = `GET ${path}`;
    this.#logger?.warn(`Bitbucket Cloud failed: ${request} ${reason}`, {
      path,
      ...(status ? { status } : {}),
    });
    return bitbucketUnavailable(request, reason);
  }
}

function readBitbucketErrorMessage(body: unknown): string | undefined {
  const error = (body as { error?: { message?: unknown; detail?: unknown } })
    ?.error;
  const required = (error?.detail as { required?: unknown })?.required;
  if (typeof error?.message !== 'string') {
    return undefined;
  }
  return Array.isArray(required)
    ? `${error.message} Required scopes: ${required.join(', ')}`
    : error.message;
}
