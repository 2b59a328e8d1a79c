import { z } from 'zod/v3';
import { apiErrorSchema, pageSchema } from './answers';
import {
  bitbucketAnsweredUnexpectedly,
  BitbucketRefusalWording,
  defaultRefusalError,
} from './errors';
import {
  isFetchFailure,
  requestFailure,
  transientFailure,
} from './requestFailure';
import { readJson } from './readJson';
import { BITBUCKET_CLOUD_URLS } from './urls';

/** One request's outcome, for metrics @public */
export interface BitbucketRequestOutcome {
  /** The endpoint template, e.g. `/user/workspaces/{workspace}/permission`; never a raw URL */
  endpoint: string;
  /** The HTTP status, or undefined when no answer came */
  status?: number;
  /** From sending the request to the end of its body */
  durationSeconds: number;
}

/** How a client reaches Bitbucket and words its failures @public */
export interface BitbucketCloudClientOptions {
  /** Default https://api.bitbucket.org/2.0 */
  apiBaseUrl?: string;
  /** The cap on one answer's decompressed bytes. Default 1 MiB */
  maxAnswerBytes?: number;
  /** The config key that sets the caller's deadline, named when it passes */
  deadlineConfigKey: string;
  /** Words 4xx answers with the caller's context; the default wording covers the rest */
  onRefused?: BitbucketRefusalWording;
  /** Told of every request, for metrics */
  onRequest?: (outcome: BitbucketRequestOutcome) => void;
}

/** One GET: its credentials, deadline and answer shape @public */
export interface BitbucketGetOptions<T> {
  /** The `Authorization` header: `Bearer <token>` or `Basic <…>` */
  authorization: string;
  /** Ends the request, body included: the caller's deadline for this step */
  signal: AbortSignal;
  /** The answer's shape (for paginated reads, one row's); anything else is refused */
  schema: z.ZodType<T, z.ZodTypeDef, unknown>;
  /** The endpoint template for messages and metrics; default the path */
  endpoint?: string;
}

/** Bounds on one paginated read, so a hostile or broken list cannot take the backend's memory @public */
export interface BitbucketPageLimits {
  /** Default 100 */
  maxPages?: number;
  /** Rows over all pages; default unbounded */
  maxItems?: number;
  /** Answer bytes over all pages, decompressed; default unbounded */
  maxBytes?: number;
}

/** A paginated read passed one of its limits; nothing it read should be used @public */
export class BitbucketLimitReachedError extends Error {
  /** Always `BitbucketLimitReachedError` */
  readonly name = 'BitbucketLimitReachedError';
  /** Which limit was passed */
  readonly limit: keyof BitbucketPageLimits;
  /** Its value */
  readonly value: number;

  constructor(
    limit: keyof BitbucketPageLimits,
    value: number,
    request: string,
  ) {
    super(
      `Bitbucket Cloud answered ${request} with more than ${value} ${
        { maxPages: 'pages', maxItems: 'entries', maxBytes: 'bytes' }[limit]
      }; nothing of it was used`,
    );
    this.limit = limit;
    this.value = value;
  }
}

const DEFAULT_MAX_PAGES = 100;

/**
 * Every REST call the Bitbucket plugins make to api.bitbucket.org: `fetch`
 * under the caller's `AbortSignal`, a cap on each answer, `next` links only
 * on the API host, answers checked against their schema, and failures worded
 * for the admin. GETs change nothing, so a 5xx or a dropped connection gets
 * one more try within the same deadline.
 *
 * @public
 */
export class BitbucketCloudClient {
  readonly #apiBase: URL;
  readonly #maxAnswerBytes: number;
  readonly #options: BitbucketCloudClientOptions;

  constructor(options: BitbucketCloudClientOptions) {
    this.#options = options;
    this.#apiBase = new URL(
      `${(options.apiBaseUrl ?? BITBUCKET_CLOUD_URLS.apiBaseUrl).replace(
        /\/+$/,
        '',
      )}/`,
    );
    this.#maxAnswerBytes = options.maxAnswerBytes ?? 1024 * 1024;
  }

  /** `path` is under the API base, e.g. `/user/emails?pagelen=100` */
  async get<T>(path: string, options: BitbucketGetOptions<T>): Promise<T> {
    const url = this.#url(path);
    const { body } = await this.#getJson(url, options);
    return this.#check(url, body, options.schema);
  }

  /** Like `get`, but a 404 answers undefined: "not found" is an answer here */
  async getIfFound<T>(
    path: string,
    options: BitbucketGetOptions<T>,
  ): Promise<T | undefined> {
    const url = this.#url(path);
    const { body, status } = await this.#getJson(url, options, [404]);
    return status === 404 ? undefined : this.#check(url, body, options.schema);
  }

  /** Every page's `values`, each checked against `schema`, within `limits` */
  async getAllPages<T>(
    path: string,
    options: BitbucketGetOptions<T> & { limits?: BitbucketPageLimits },
  ): Promise<T[]> {
    const {
      maxPages = DEFAULT_MAX_PAGES,
      maxItems,
      maxBytes,
    } = options.limits ?? {};
    const items: T[] = [];
    let url: URL | undefined = this.#url(path);
    let bytes = 0;
    for (let pages = 0; url; pages++) {
      const request = describe(url);
      if (pages === maxPages) {
        throw new BitbucketLimitReachedError('maxPages', maxPages, request);
      }
      const answer = await this.#getJson(url, options);
      bytes += answer.bytes;
      if (maxBytes !== undefined && bytes > maxBytes) {
        throw new BitbucketLimitReachedError('maxBytes', maxBytes, request);
      }
      const page: z.infer<typeof pageSchema> = this.#check(
        url,
        answer.body,
        pageSchema,
      );
      if (
        maxItems !== undefined &&
        items.length + page.values.length > maxItems
      ) {
        throw new BitbucketLimitReachedError('maxItems', maxItems, request);
      }
      for (const [index, value] of page.values.entries()) {
        items.push(this.#check(url, value, options.schema, `values.${index}`));
      }
      url = page.next ? this.#nextPage(page.next, url) : undefined;
    }
    return items;
  }

  #url(path: string): URL {
    return new URL(path.replace(/^\/+/, ''), this.#apiBase);
  }

  /** A `next` link is followed only on the API host under the API base path: elsewhere it would carry the token away */
  #nextPage(next: string, current: URL): URL {
    // parsing resolves dot segments, so /2.0/../ cannot slip out
    const url = URL.canParse(next) ? new URL(next) : undefined;
    if (
      url?.origin !== this.#apiBase.origin ||
      !url.pathname.startsWith(this.#apiBase.pathname)
    ) {
      throw bitbucketAnsweredUnexpectedly(
        describe(current),
        `its next link leaves ${this.#apiBase.href}, so it was not followed`,
      );
    }
    return url;
  }

  #check<T>(
    url: URL,
    body: unknown,
    schema: z.ZodType<T, z.ZodTypeDef, unknown>,
    where?: string,
  ): T {
    const parsed = schema.safeParse(body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const path = [where, ...issue.path].filter(p => p !== undefined);
      throw bitbucketAnsweredUnexpectedly(
        describe(url),
        // zod quotes the value it got, which may be anything Bitbucket sent
        `${path.join('.') || 'the answer'}: ${issue.message.slice(0, 200)}`,
      );
    }
    return parsed.data;
  }

  async #getJson(
    url: URL,
    options: BitbucketGetOptions<unknown>,
    answerable: number[] = [],
  ): Promise<{ status: number; body: unknown; bytes: number }> {
    const request = describe(url);
    const endpoint =
      options.endpoint ?? url.pathname.slice(this.#apiBase.pathname.length - 1);
    for (let attempt = 1; ; attempt++) {
      const started = performance.now();
      let status: number | undefined;
      try {
        const res = await fetch(url, {
          headers: {
            authorization: options.authorization,
            accept: 'application/json',
          },
          signal: options.signal,
          // a redirect would take the token off the configured host
          redirect: 'manual',
        });
        status = res.status;
        if (status >= 500 && attempt === 1) {
          await res.body?.cancel();
          continue;
        }
        const { json, bytes } = await readJson(
          res,
          this.#maxAnswerBytes,
          options.signal,
        );
        if (status >= 200 && status < 300) {
          return { status, body: json, bytes };
        }
        if (answerable.includes(status)) {
          return { status, body: undefined, bytes };
        }
        throw this.#failure(request, status, res.headers, json);
      } catch (error) {
        if (!isRetryable(error, options.signal) || attempt === 2) {
          throw requestFailure(
            request,
            error,
            options.signal,
            this.#options.deadlineConfigKey,
          );
        }
      } finally {
        this.#options.onRequest?.({
          endpoint,
          status,
          durationSeconds: (performance.now() - started) / 1000,
        });
      }
    }
  }

  #failure(
    request: string,
    status: number,
    headers: Headers,
    body: unknown,
  ): Error {
    if (status === 429 || status >= 500) {
      return transientFailure(request, status, headers);
    }
    if (status < 400) {
      return bitbucketAnsweredUnexpectedly(request, `HTTP ${status}`);
    }
    const error = apiErrorSchema.safeParse(body);
    const detail = error.success ? error.data.error.detail : undefined;
    // a few short names, and none when the list is empty
    const required = typeof detail === 'object' ? detail.required : undefined;
    const refusal = {
      request,
      status,
      message: error.success
        ? error.data.error.message?.slice(0, 200)
        : undefined,
      requiredScopes: required?.length
        ? required.slice(0, 5).map(scope => scope.slice(0, 64))
        : undefined,
    };
    return this.#options.onRefused?.(refusal) ?? defaultRefusalError(refusal);
  }
}

/** `GET /2.0/user/emails`: method and path, never the query (it may carry anything) */
function describe(url: URL): string {
  return `GET ${url.pathname}`;
}

function isRetryable(error: unknown, signal: AbortSignal): boolean {
  return !signal.aborted && isFetchFailure(error);
}
