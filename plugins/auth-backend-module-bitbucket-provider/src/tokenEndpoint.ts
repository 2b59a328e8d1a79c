import { LoggerService } from '@backstage/backend-plugin-api';
import {
  BitbucketAnswer,
  BitbucketConnection,
  failureReason,
} from './BitbucketConnection';
import { Deadline } from './deadline';
import { bitbucketTokenRefused, bitbucketUnavailable } from './errors';

/** A token answer is well under 4 KiB */
const MAX_TOKEN_ANSWER_BYTES = 64 * 1024;

type GrantType = 'authorization_code' | 'refresh_token';

/** What Bitbucket's token endpoint granted */
export interface BitbucketTokens {
  accessToken: string;
  refreshToken?: string;
  /** The rest of the answer: `scopes`, `expires_in`, `token_type`, ... */
  params: Record<string, unknown>;
}

/**
 * Bitbucket's OAuth token endpoint: the code exchange and the refresh grant,
 * each with a deadline, over a kept-alive connection, with errors an admin
 * can act on. (node-oauth, which passport-oauth2 uses, has no timeout and
 * reports failures as bare `{statusCode, data}` objects.)
 */
export class BitbucketTokenEndpoint {
  readonly #connection: BitbucketConnection;
  readonly #path: string;
  /** The client credentials as form fields, as node-oauth sends them */
  readonly #clientFields: string;
  readonly #timeoutMs: number;
  readonly #logger?: LoggerService;

  constructor(options: {
    tokenUrl: string;
    clientId: string;
    clientSecret: string;
    timeoutMs: number;
    logger?: LoggerService;
  }) {
    const { pathname, search } = new URL(options.tokenUrl);
    this.#connection = new BitbucketConnection(options.tokenUrl, {
      maxAnswerBytes: MAX_TOKEN_ANSWER_BYTES,
    });
    this.#path = `${pathname}${search}`;
    this.#clientFields = formEncode({
      client_id: options.clientId,
      client_secret: options.clientSecret,
    });
    this.#timeoutMs = options.timeoutMs;
    this.#logger = options.logger;
  }

  /** Never retried: a code works once */
  exchangeCode(code: string, redirectUri: string): Promise<BitbucketTokens> {
    return this.#grant('authorization_code', {
      code,
      redirect_uri: redirectUri,
    });
  }

  refresh(refreshToken: string): Promise<BitbucketTokens> {
    return this.#grant('refresh_token', { refresh_token: refreshToken });
  }

  async #grant(
    grantType: GrantType,
    fields: Record<string, string>,
  ): Promise<BitbucketTokens> {
    const request = `POST ${this.#path} (${grantType})`;
    const deadline = new Deadline(this.#timeoutMs);
    let answer: BitbucketAnswer;
    try {
      answer = await this.#connection.send(
        {
          method: 'POST',
          path: this.#path,
          headers: {
            'content-type': 'application/x-www-form-urlencoded',
            accept: 'application/json',
          },
          body: `${this.#clientFields}&${formEncode({
            grant_type: grantType,
            ...fields,
          })}`,
        },
        deadline,
      );
    } catch (error) {
      throw this.#failed(
        bitbucketUnavailable(request, failureReason(error, deadline)),
      );
    } finally {
      deadline.clear();
    }

    const { status } = answer;
    if (status === 429 || status >= 500) {
      throw this.#failed(
        bitbucketUnavailable(
          request,
          status === 429
            ? 'is rate limited (HTTP 429)'
            : `answered HTTP ${status}`,
        ),
        status,
      );
    }
    const body = isObject(answer.body) ? answer.body : undefined;
    if (status < 200 || status >= 300) {
      throw this.#failed(
        bitbucketTokenRefused({
          grantType,
          status,
          error: typeof body?.error === 'string' ? body.error : undefined,
          description:
            typeof body?.error_description === 'string'
              ? body.error_description
              : undefined,
        }),
        status,
      );
    }
    if (typeof body?.access_token !== 'string' || !body.access_token) {
      throw this.#failed(
        bitbucketUnavailable(
          request,
          'answered without an access token (the body is not the expected JSON)',
        ),
        status,
      );
    }
    const { access_token, refresh_token, ...params } = body;
    return {
      accessToken: access_token,
      refreshToken:
        typeof refresh_token === 'string' && refresh_token
          ? refresh_token
          : undefined,
      params,
    };
  }

  #failed(failure: Error, status?: number): Error {
    this.#logger?.warn(
      `Bitbucket Cloud token request failed: ${failure.message}`,
      { path: this.#path, ...(status ? { status } : {}) },
    );
    return failure;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function formEncode(fields: Record<string, string>): string {
  return Object.entries(fields)
    .map(([name, value]) => `${name}=${encodeURIComponent(value)}`)
    .join('&');
}
