import { encodeOAuthState, OAuthState } from '@backstage/plugin-auth-node';

/**
 * A state as anyone can write one (the framework does not sign it), as in a
 * link sent to a victim: `fields` over a nonce that no cookie holds
 */
export function forgedState(fields: Partial<OAuthState>): string {
  return encodeOAuthState({ nonce: 'abc', env: 'development', ...fields });
}

/** The origin the framework's popup page posts its outcome to, if any */
export function postMessageTarget(body: string): string | undefined {
  return body.match(/var origin = decodeURIComponent\('([^']*)'\)/)?.[1];
}
