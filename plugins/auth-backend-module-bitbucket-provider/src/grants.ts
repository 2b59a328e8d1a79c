import { InputError, NotAllowedError } from '@backstage/errors';
import { OAuthAuthenticatorAuthenticateInput } from '@backstage/plugin-auth-node';
import {
  bitbucketUnavailable,
  BitbucketTokenEndpoint,
  BitbucketTokens,
} from '@bitbucket-signin/plugin-bitbucket-cloud-common';
import { BitbucketClient } from './BitbucketClient';
import { withOutcome } from './metrics';
import { BitbucketIdentity } from './identity';

/** What Bitbucket's token endpoint granted, with the identity fetched for it */
export interface BitbucketGrant extends BitbucketTokens {
  fullProfile: BitbucketIdentity;
}

interface GrantContext {
  tokenEndpoint: BitbucketTokenEndpoint;
  client: BitbucketClient;
  timeoutMs: number;
}

/** Handles Bitbucket's redirect back: the code exchange, then the profile */
export async function exchangeAuthorizationCode(
  req: OAuthAuthenticatorAuthenticateInput['req'],
  ctx: GrantContext & { callbackUrl: string },
): Promise<BitbucketGrant> {
  const { code, error } = req.query;
  if (typeof error === 'string') {
    throw authorizationFailure(error, req.query.error_description);
  }
  if (typeof code !== 'string' || !code) {
    throw new InputError(
      'The Bitbucket callback has no authorization code; start the sign-in again',
    );
  }
  const tokens = await ctx.tokenEndpoint.exchangeCode(
    code,
    ctx.callbackUrl,
    AbortSignal.timeout(ctx.timeoutMs),
  );
  return withIdentity(tokens, ctx);
}

/** The refresh grant, then the profile for the new access token */
export async function refreshWithToken(
  ctx: GrantContext,
  refreshToken: string,
): Promise<BitbucketGrant> {
  const tokens = await ctx.tokenEndpoint.refresh(
    refreshToken,
    AbortSignal.timeout(ctx.timeoutMs),
  );
  return withIdentity(tokens, ctx);
}

/** One deadline for the parallel profile calls; the first failure stops the others */
async function withIdentity(
  tokens: BitbucketTokens,
  ctx: GrantContext,
): Promise<BitbucketGrant> {
  const firstFailure = new AbortController();
  const signal = AbortSignal.any([
    firstFailure.signal,
    AbortSignal.timeout(ctx.timeoutMs),
  ]);
  try {
    return {
      ...tokens,
      fullProfile: await ctx.client.fetchIdentity(tokens.accessToken, signal),
    };
  } catch (error) {
    firstFailure.abort();
    throw error;
  }
}

/** `?error=…` on the callback: the user declined, or Bitbucket could not authorize */
function authorizationFailure(rawError: string, description: unknown): Error {
  // both come from the callback URL, so anyone can put anything there: keep them short
  const error = rawError.slice(0, 64);
  const said = (
    typeof description === 'string' && description ? description : error
  ).slice(0, 200);
  if (error === 'access_denied') {
    return withOutcome(
      new NotAllowedError(
        `Bitbucket sign-in was declined (${said}). To sign in, start again and grant access on Bitbucket's consent page`,
      ),
      'declined',
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
