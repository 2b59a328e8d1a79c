import {
  AuthenticationError,
  NotAllowedError,
  ServiceUnavailableError,
} from '@backstage/errors';

/**
 * Bitbucket failures, worded for the admin who has to fix them. Messages carry
 * the method, path and HTTP status, never a token, a code or the client secret.
 */

/** The consumer permission (and OAuth scope) each endpoint needs */
const requiredPermission: Record<string, string> = {
  '/user': '"Account: Read" permission (scope "account")',
  '/user/emails': '"Email" permission (Account: Email, scope "email")',
  '/user/permissions/workspaces':
    '"Workspace membership: Read" permission, which reading workspace memberships for auth.providers.bitbucket.<environment>.workspaces or workspaceOwnership requires',
};

/** Bitbucket is down, slow, rate limiting or answering nonsense: nothing the admin misconfigured */
export function bitbucketUnavailable(
  request: string,
  reason: string,
): ServiceUnavailableError {
  return new ServiceUnavailableError(
    `Bitbucket Cloud failed: ${request} ${reason}. Nothing is wrong with your account or configuration; try signing in again in a moment`,
  );
}

/** A 401 or 403 from the REST API, which almost always means a consumer permission is missing */
export function bitbucketApiRefused(options: {
  request: string;
  endpoint: string;
  status: number;
  bitbucketMessage?: string;
}): Error {
  const { request, endpoint, status, bitbucketMessage } = options;
  const what = `Bitbucket Cloud refused ${request} (HTTP ${status}${
    bitbucketMessage ? `: ${bitbucketMessage}` : ''
  })`;
  const permission = requiredPermission[endpoint];
  if (status === 401 && endpoint === '/user') {
    return new AuthenticationError(
      `${what}. The access token was not accepted; sign in again`,
    );
  }
  return new NotAllowedError(
    `${what}. The OAuth consumer needs the ${
      permission ?? 'permission Bitbucket names above'
    }: in Bitbucket open Workspace settings > OAuth consumers > your consumer > Edit, tick it, save, then sign in again`,
  );
}

/** An OAuth error answer from the token endpoint */
export function bitbucketTokenRefused(options: {
  grantType: 'authorization_code' | 'refresh_token';
  status: number;
  error?: string;
  description?: string;
}): Error {
  const { grantType, status, error, description } = options;
  const said = `${error ?? `HTTP ${status}`}${
    description ? `: ${description}` : ''
  }`;
  if (error === 'invalid_client' || status === 401) {
    return new NotAllowedError(
      `Bitbucket Cloud rejected the OAuth consumer credentials (${said}). Check auth.providers.bitbucket.<environment>.clientId (the consumer's Key) and clientSecret (its Secret)`,
    );
  }
  if (error === 'invalid_grant' && grantType === 'refresh_token') {
    return new AuthenticationError(
      `Bitbucket Cloud no longer accepts this session's refresh token (${said}): access was revoked or the app was removed from the account. Sign in again`,
    );
  }
  if (error === 'invalid_grant') {
    return new AuthenticationError(
      `Bitbucket Cloud did not accept the authorization code (${said}). A code works once and expires within minutes; sign in again`,
    );
  }
  return new NotAllowedError(
    `Bitbucket Cloud refused the ${grantType} grant (${said}). Check the OAuth consumer's callback URL and auth.providers.bitbucket.<environment>.callbackUrl`,
  );
}
