import { CacheService, LoggerService } from '@backstage/backend-plugin-api';
import { isError } from '@backstage/errors';
import {
  createOAuthAuthenticator,
  OAuthAuthenticator,
  OAuthAuthenticatorResult,
  PassportOAuthAuthenticatorHelper,
} from '@backstage/plugin-auth-node';
import {
  BitbucketRequestOutcome,
  BitbucketTokenEndpoint,
  BitbucketTokens,
} from '@bitbucket-signin/plugin-bitbucket-cloud-common';
import { Strategy as BitbucketStrategy } from 'passport-bitbucket-oauth2';
import { BitbucketClient } from './BitbucketClient';
import { authorizationCode } from './callback';
import { readBitbucketProviderConfig } from './config';
import { withDeadline } from './deadline';
import { BitbucketIdentity } from './identity';
import { RefreshReuse } from './refreshReuse';
import { reusedResults } from './signInPass';
import { assertMemberOfAllowedWorkspace } from './workspaces';

/**
 * Options of {@link createBitbucketAuthenticator}.
 *
 * @public
 */
export interface BitbucketAuthenticatorOptions {
  /** Where refusals and Bitbucket failures are logged */
  logger?: LoggerService;
  /**
   * Where the result of a refresh is kept for `refreshReuseWindow`, so that
   * tabs refreshing with the same (rotated) refresh token all stay signed
   * in. Pass the auth plugin's `coreServices.cache`; with several replicas,
   * configure `backend.cache` with a store they share (Redis, Valkey,
   * Memcache). Without it, only refreshes within one process are shared.
   */
  cache?: CacheService;
  /** Told of every Bitbucket request, for metrics */
  onRequest?: (outcome: BitbucketRequestOutcome) => void;
}

type Result = OAuthAuthenticatorResult<BitbucketIdentity>;

/**
 * Creates the Bitbucket Cloud OAuth authenticator, for use with
 * {@link createBitbucketProviderFactory}.
 *
 * @public
 */
export function createBitbucketAuthenticator(
  options: BitbucketAuthenticatorOptions = {},
): OAuthAuthenticator<unknown, BitbucketIdentity> {
  const { logger, cache, onRequest } = options;
  return createOAuthAuthenticator({
    defaultProfileTransform: async ({ fullProfile }: Result) => ({
      profile: {
        email: fullProfile.email,
        displayName: fullProfile.displayName,
        picture: fullProfile.avatarUrl,
      },
    }),
    scopes: { persist: true, required: ['account', 'email'] },
    initialize({ callbackUrl, config }) {
      const providerConfig = readBitbucketProviderConfig(config);
      const { clientId, clientSecret, tokenUrl, timeoutMs, workspaces } =
        providerConfig;
      const client = new BitbucketClient({
        apiBaseUrl: providerConfig.apiBaseUrl,
        allowedWorkspaces: workspaces,
        onRequest,
      });
      /**
       * The identity behind the new tokens, checked against the allow-list
       * on every sign-in and refresh: removal from the workspace ends
       * access at the next refresh
       */
      const toResult = async (tokens: BitbucketTokens): Promise<Result> => {
        const fullProfile = await client.fetchIdentity(
          tokens.accessToken,
          timeoutMs,
        );
        assertMemberOfAllowedWorkspace(fullProfile, workspaces, logger);
        return {
          fullProfile,
          session: {
            accessToken: tokens.accessToken,
            tokenType: tokens.tokenType ?? 'bearer',
            scope: tokens.scope ?? '',
            expiresInSeconds: tokens.expiresInSeconds,
            refreshToken: tokens.refreshToken,
          },
        };
      };
      return {
        callbackUrl,
        timeoutMs,
        toResult,
        tokenEndpoint: new BitbucketTokenEndpoint({
          tokenUrl,
          clientId,
          clientSecret,
          configKey: 'auth.providers.bitbucket.<environment>',
          deadlineConfigKey: 'auth.providers.bitbucket.<environment>.timeout',
          onRequest,
        }),
        // Bitbucket's answer is what the window keeps, not the identity
        // built from it: a refresh that failed after Bitbucket rotated the
        // token finds the new tokens when it is tried again
        reuse: new RefreshReuse<BitbucketTokens, Result>({
          cache,
          windowMs: providerConfig.refreshReuseWindowMs,
          waitMs: timeoutMs,
          use: toResult,
          onReuse: result => reusedResults.add(result),
        }),
        // passport-bitbucket-oauth2 builds the redirect to the consent page.
        // The way back does not go through it: its token request has no
        // timeout, and its profile is `/2.0/user` alone.
        helper: PassportOAuthAuthenticatorHelper.from(
          new BitbucketStrategy(
            {
              clientID: clientId,
              clientSecret,
              callbackURL: callbackUrl,
              authorizationURL: providerConfig.authorizationUrl,
              tokenURL: tokenUrl,
            },
            () => {
              throw new Error('Bitbucket callbacks go to authenticate');
            },
          ),
        ),
      };
    },
    async start(input, { helper }) {
      // Bitbucket grants the consumer's ticked permissions whatever is asked
      // for, and understands no other authorize parameters.
      return helper.start({ ...input, scope: '' }, {});
    },
    async authenticate({ req }, ctx) {
      const code = authorizationCode(req);
      const tokens = await withDeadline(ctx.timeoutMs, ({ signal }) =>
        ctx.tokenEndpoint.exchangeCode(code, ctx.callbackUrl, signal),
      );
      return ctx.toResult(tokens);
    },
    async refresh({ refreshToken }, ctx) {
      return ctx.reuse.refresh(
        refreshToken,
        () =>
          withDeadline(ctx.timeoutMs, ({ signal }) =>
            ctx.tokenEndpoint.refresh(refreshToken, signal),
          ),
        // the token endpoint's invalid_grant: spent, expired or revoked
        error => isError(error) && error.name === 'AuthenticationError',
      );
    },
  });
}
