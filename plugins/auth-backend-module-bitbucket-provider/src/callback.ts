import { InputError, NotAllowedError } from '@backstage/errors';
import { OAuthAuthenticatorAuthenticateInput } from '@backstage/plugin-auth-node';
import { bitbucketUnavailable } from '@bitbucket-signin/plugin-bitbucket-cloud-common';
import { withOutcome } from './metrics';

/** The authorization code of Bitbucket's redirect back, or why it carries none */
export function authorizationCode(
  req: OAuthAuthenticatorAuthenticateInput['req'],
): string {
  const { code, error } = req.query;
  if (typeof error === 'string') {
    throw authorizationFailure(error, req.query.error_description);
  }
  if (typeof code !== 'string' || !code) {
    throw new InputError(
      'The Bitbucket callback has no authorization code; start the sign-in again',
    );
  }
  return code;
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
