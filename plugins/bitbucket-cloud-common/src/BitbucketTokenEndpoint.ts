import { AuthenticationError, NotAllowedError } from '@backstage/errors';
import { oauthErrorSchema, tokenAnswerSchema } from './answers';
import { BitbucketRequestOutcome } from './BitbucketCloudClient';
import { bitbucketAnsweredUnexpectedly, EDIT_OAUTH_CONSUMER } from './errors';
import { readJson } from './readJson';
import { requestFailure, transientFailure } from './requestFailure';
import { BITBUCKET_CLOUD_URLS } from './urls';

/** What the token endpoint granted @public */
export interface BitbucketTokens {
  /** Sent as `Authorization: Bearer`; Bitbucket accepts it nowhere else */
  accessToken: string;
  /** None for client credentials; a new one on every refresh, since refresh tokens rotate */
  refreshToken?: string;
  /** Space-separated, e.g. `account email` */
  scope?: string;
  /** The access token's lifetime */
  expiresInSeconds?: number;
  /** `bearer` */
  tokenType?: string;
}

/** The grants this project uses @public */
export type BitbucketGrantType =
  | 'authorization_code'
  | 'refresh_token'
  | 'client_credentials';

/** Where the token endpoint is, and the consumer that calls it @public */
export interface BitbucketTokenEndpointOptions {
  /** Default https://bitbucket.org/site/oauth2/access_token */
  tokenUrl?: string;
  /** The OAuth consumer's Key */
  clientId: string;
  /** The OAuth consumer's Secret */
  clientSecret: string;
  /** Where clientId and clientSecret are configured, e.g. `auth.providers.bitbucket.<environment>` */
  configKey: string;
  /** The config key that sets the caller's deadline, named when it passes */
  deadlineConfigKey: string;
  /** Told of every request, for metrics */
  onRequest?: (outcome: BitbucketRequestOutcome) => void;
}

/** A token answer is well under 4 KiB */
const MAX_TOKEN_ANSWER_BYTES = 64 * 1024;

/**
 * Bitbucket's OAuth token endpoint, client authenticated with HTTP Basic.
 * Never retried: a code works once, and a refresh token is spent by its first
 * use even when the answer is lost.
 *
 * @public
 */
export class BitbucketTokenEndpoint {
  readonly #options: BitbucketTokenEndpointOptions;
  readonly #url: URL;
  readonly #authorization: string;

  constructor(options: BitbucketTokenEndpointOptions) {
    this.#options = options;
    this.#url = new URL(options.tokenUrl ?? BITBUCKET_CLOUD_URLS.tokenUrl);
    this.#authorization = `Basic ${Buffer.from(
      `${options.clientId}:${options.clientSecret}`,
    ).toString('base64')}`;
  }

  /** Bitbucket's redirect back: the code for tokens */
  exchangeCode(
    code: string,
    redirectUri: string,
    signal: AbortSignal,
  ): Promise<BitbucketTokens> {
    return this.#grant(
      'authorization_code',
      { code, redirect_uri: redirectUri },
      signal,
    );
  }

  /** A refresh token for new tokens; the one used is dead from then on */
  refresh(refreshToken: string, signal: AbortSignal): Promise<BitbucketTokens> {
    return this.#grant(
      'refresh_token',
      { refresh_token: refreshToken },
      signal,
    );
  }

  /** Tokens of the consumer's app user, with no refresh token */
  clientCredentials(signal: AbortSignal): Promise<BitbucketTokens> {
    return this.#grant('client_credentials', {}, signal);
  }

  async #grant(
    grantType: BitbucketGrantType,
    fields: Record<string, string>,
    signal: AbortSignal,
  ): Promise<BitbucketTokens> {
    const request = `POST ${this.#url.pathname} (${grantType})`;
    const started = performance.now();
    let status: number | undefined;
    let headers = new Headers();
    let json: unknown;
    try {
      const res = await fetch(this.#url, {
        method: 'POST',
        headers: {
          authorization: this.#authorization,
          'content-type': 'application/x-www-form-urlencoded',
          accept: 'application/json',
        },
        body: new URLSearchParams({ grant_type: grantType, ...fields }),
        signal,
        redirect: 'manual',
      });
      status = res.status;
      headers = res.headers;
      json = (await readJson(res, MAX_TOKEN_ANSWER_BYTES, signal)).json;
    } catch (error) {
      throw requestFailure(
        request,
        error,
        signal,
        this.#options.deadlineConfigKey,
      );
    } finally {
      this.#options.onRequest?.({
        endpoint: this.#url.pathname,
        status,
        durationSeconds: (performance.now() - started) / 1000,
      });
    }
    if (status === 429 || status >= 500) {
      throw transientFailure(request, status, headers);
    }
    if (status < 200 || status >= 300) {
      throw this.#refused(grantType, request, status, json);
    }
    const answer = tokenAnswerSchema.safeParse(json);
    if (!answer.success) {
      throw bitbucketAnsweredUnexpectedly(
        request,
        'the answer has no access_token',
      );
    }
    const { data } = answer;
    return {
      accessToken: data.access_token,
      refreshToken: data.refresh_token,
      scope: data.scope,
      expiresInSeconds: data.expires_in,
      tokenType: data.token_type,
    };
  }

  #refused(
    grantType: BitbucketGrantType,
    request: string,
    status: number,
    json: unknown,
  ): Error {
    const { configKey } = this.#options;
    const answer = oauthErrorSchema.safeParse(json);
    const error = answer.success ? answer.data.error?.slice(0, 64) : undefined;
    const description = answer.success
      ? answer.data.error_description?.slice(0, 200)
      : undefined;
    const said = `${error ?? `HTTP ${status}`}${
      description ? `: ${description}` : ''
    }`;
    if (error === 'invalid_client' || status === 401) {
      return new NotAllowedError(
        `Bitbucket Cloud rejected the OAuth consumer credentials (${said}). Check ${configKey}.clientId (the consumer's Key) and ${configKey}.clientSecret (its Secret)`,
      );
    }
    if (error === 'invalid_grant' && grantType === 'refresh_token') {
      return new AuthenticationError(
        `Bitbucket Cloud no longer accepts this session's refresh token (${said}). Refresh tokens work once, since each refresh issues a new one: this one was already used (for example by a copy of an old session), went unused for 3 months, or access was revoked. Sign in again`,
      );
    }
    if (error === 'invalid_grant' && grantType === 'authorization_code') {
      return new AuthenticationError(
        `Bitbucket Cloud did not accept the authorization code (${said}). A code works once and expires within minutes; sign in again`,
      );
    }
    if (error === 'unauthorized_client' && grantType === 'client_credentials') {
      return new NotAllowedError(
        `Bitbucket Cloud refused ${request} (${said}). The consumer of ${configKey}.clientId must be private: ${EDIT_OAUTH_CONSUMER}, tick "This is a private consumer" and save`,
      );
    }
    const check =
      grantType === 'authorization_code'
        ? `the OAuth consumer's callback URL and ${configKey}.callbackUrl`
        : `the OAuth consumer of ${configKey}.clientId`;
    return new NotAllowedError(
      `Bitbucket Cloud refused ${request} (${said}). Check ${check}; retrying will not help`,
    );
  }
}
