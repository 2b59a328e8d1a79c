import { InputError, NotAllowedError } from '@backstage/errors';
import { OAuthAuthenticatorAuthenticateInput } from '@backstage/plugin-auth-node';
import { BitbucketClient } from './BitbucketClient';
import { bitbucketUnavailable } from './errors';
import { BitbucketTokenEndpoint, BitbucketTokens } from './tokenEndpoint';
import { BitbucketIdentity } from './types';

/** What Bitbucket's token endpoint granted, with the identity fetched for it */
export interface BitbucketGrant extends BitbucketTokens {
  fullProfile: BitbucketIdentity;
}

/** Handles Bitbucket's redirect back: the code exchange, then the profile */
export async function exchangeAuthorizationCode(
  req: OAuthAuthenticatorAuthenticateInput['req'],
  options: {
    tokenEndpoint: BitbucketTokenEndpoint;
    client: BitbucketClient;
    callbackUrl: string;
  },
): Promise<BitbucketGrant> {
  const { tokenEndpoint, client, callbackUrl } = options;
  // A repeated parameter is ambiguous; which copy wins is up to each parser
  const repeated = ['code', 'state', 'error'].find(name =>
    Array.isArray(req.query[name]),
  );
  if (repeated) {
    throw new InputError(
      `The Bitbucket callback has more than one ${repeated}; start the sign-in again`,
    );
  }
  const { code, error } = req.query;
  if (typeof error === 'string') {
    throw authorizationFailure(error, req.query.error_description);
  }
  if (typeof code !== 'string' || !code) {
    throw new InputError(
      'The Bitbucket callback has no authorization code; start the sign-in again',
    );
  }
  const tokens = await tokenEndpoint.exchangeCode(code, callbackUrl);
  return {
    ...tokens,
    fullProfile: await client.fetchIdentity(tokens.accessToken),
  };
}

/** The refresh grant, then the profile for the new access token */
export async function refreshWithToken(
  options: { tokenEndpoint: BitbucketTokenEndpoint; client: BitbucketClient },
  refreshToken: string,
): Promise<BitbucketGrant> {
  const tokens = await options.tokenEndpoint.refresh(refreshToken);
  return {
    ...tokens,
    fullProfile: await options.client.fetchIdentity(tokens.accessToken),
  };
}

/** `?error=…` on the callback: the user declined, or Bitbucket could not authorize */
function authorizationFailure(rawError: string, description: unknown): Error {
  // both come from the callback URL, so anyone can put anything there: keep them short
  const error = rawError.slice(0, 64);
  const said = (
    typeof description === 'string' && description ? description : error
  ).slice(0, 200);
  if (error === 'access_denied') {
    return new NotAllowedError(
      `Bitbucket sign-in was declined (${said}). To sign in, start again and grant access on Bitbucket's consent page`,
    );
  }
  if (error === 'server_error' || error === 'temporarily_unavailable') {
    return bitbucketUnavailable(
      'GET /site/oauth2/authorize',
      `answered ${error} (${said})`,
    );
  }
  return new NotAllowedError(
    `Bitbucket Cloud refused the authorization request (${error}: ${said}). Check the OAuth consumer's callback URL and auth.providers.bitbucket.<environment>.callbackUrl`,
  );
}
