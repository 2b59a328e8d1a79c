import { LoggerService } from '@backstage/backend-plugin-api';
import http from 'node:http';
import https from 'node:https';
import { bitbucketTokenRefused, bitbucketUnavailable } from './errors';

type TokenCallback = (
  error: unknown,
  accessToken?: string,
  refreshToken?: string,
  results?: Record<string, unknown>,
) => void;

type HttpLibrary = {
  request(options: http.RequestOptions): http.ClientRequest;
};

/** The parts of node-oauth's OAuth2 client (used by passport-oauth2) that are adjusted here */
export interface NodeOAuth2Client {
  setAgent(agent: http.Agent): void;
  getOAuthAccessToken(
    code: string,
    params: Record<string, string>,
    callback: TokenCallback,
  ): void;
  _executeRequest(
    library: HttpLibrary,
    options: http.RequestOptions,
    body: string | null,
    callback: (...args: unknown[]) => void,
  ): void;
}

class TokenEndpointTimeout extends Error {
  name = 'TokenEndpointTimeout';
}

/**
 * node-oauth waits forever, opens a new TLS connection per call and reports
 * failures as bare `{statusCode, data}` objects. This gives the token
 * endpoint a deadline, a kept-alive connection, and errors an admin can act on.
 */
export function hardenTokenEndpoint(
  oauth2: NodeOAuth2Client,
  options: { tokenUrl: string; timeoutMs: number; logger?: LoggerService },
): void {
  const { tokenUrl, timeoutMs, logger } = options;
  const tokenPath = new URL(tokenUrl).pathname;

  oauth2.setAgent(
    tokenUrl.startsWith('https:')
      ? new https.Agent({ keepAlive: true })
      : new http.Agent({ keepAlive: true }),
  );

  const execute = oauth2._executeRequest.bind(oauth2);
  oauth2._executeRequest = (library, requestOptions, body, callback) =>
    execute(
      {
        request(opts) {
          const req = library.request(opts);
          const deadline = setTimeout(
            () => req.destroy(new TokenEndpointTimeout()),
            timeoutMs,
          );
          req.once('close', () => clearTimeout(deadline));
          return req;
        },
      },
      requestOptions,
      body,
      callback,
    );

  const getToken = oauth2.getOAuthAccessToken.bind(oauth2);
  oauth2.getOAuthAccessToken = (code, params, callback) => {
    const grantType =
      params?.grant_type === 'refresh_token'
        ? 'refresh_token'
        : 'authorization_code';
    const request = `POST ${tokenPath} (${grantType})`;
    getToken(code, params, (error, accessToken, refreshToken, results) => {
      if (error) {
        const { status, failure } = describeFailure(
          error,
          grantType,
          request,
          timeoutMs,
        );
        logger?.warn(
          `Bitbucket Cloud token request failed: ${failure.message}`,
          {
            path: tokenPath,
            ...(status ? { status } : {}),
          },
        );
        callback(failure);
        return;
      }
      if (!accessToken) {
        // node-oauth falls back to parsing a non-JSON body as a query string
        const failure = bitbucketUnavailable(
          request,
          'answered without an access token (the body is not the expected JSON)',
        );
        logger?.warn(failure.message, { path: tokenPath });
        callback(failure);
        return;
      }
      callback(null, accessToken, refreshToken, results);
    });
  };
}

function describeFailure(
  error: unknown,
  grantType: 'authorization_code' | 'refresh_token',
  request: string,
  timeoutMs: number,
): { status?: number; failure: Error } {
  const { statusCode, data } = error as { statusCode?: number; data?: string };
  if (typeof statusCode === 'number') {
    if (statusCode === 429 || statusCode >= 500) {
      return {
        status: statusCode,
        failure: bitbucketUnavailable(
          request,
          statusCode === 429
            ? 'is rate limited (HTTP 429)'
            : `answered HTTP ${statusCode}`,
        ),
      };
    }
    const body = parseJson(data);
    return {
      status: statusCode,
      failure: bitbucketTokenRefused({
        grantType,
        status: statusCode,
        error: typeof body?.error === 'string' ? body.error : undefined,
        description:
          typeof body?.error_description === 'string'
            ? body.error_description
            : undefined,
      }),
    };
  }
  if (error instanceof TokenEndpointTimeout) {
    return {
      failure: bitbucketUnavailable(
        request,
        `did not answer within ${timeoutMs} ms (auth.providers.bitbucket.<environment>.timeout)`,
      ),
    };
  }
  const code = (error as { code?: string })?.code;
  return {
    failure: bitbucketUnavailable(
      request,
      `could not be reached (${
        code ?? (error as Error)?.message ?? 'unknown error'
      })`,
    ),
  };
}

function parseJson(data: unknown): Record<string, unknown> | undefined {
  if (typeof data !== 'string') {
    return undefined;
  }
  try {
    const parsed = JSON.parse(data);
    return typeof parsed === 'object' && parsed !== null ? parsed : undefined;
  } catch {
    return undefined;
  }
}
