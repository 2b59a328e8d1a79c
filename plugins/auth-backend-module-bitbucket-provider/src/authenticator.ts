import { CacheService, LoggerService } from '@backstage/backend-plugin-api';
import { isError } from '@backstage/errors';
import {
  createOAuthAuthenticator,
  OAuthAuthenticator,
  OAuthSession,
  PassportOAuthAuthenticatorHelper,
} from '@backstage/plugin-auth-node';
import {
  BitbucketRequestOutcome,
  BitbucketTokenEndpoint,
} from '@bitbucket-signin/plugin-bitbucket-cloud-common';
import { Strategy as BitbucketStrategy } from 'passport-bitbucket-oauth2';
import { BitbucketClient } from './BitbucketClient';
import { readBitbucketProviderConfig } from './config';
import {
  BitbucketGrant,
  exchangeAuthorizationCode,
  refreshWithToken,
} from './grants';
import { RefreshReuse } from './refreshReuse';
import { markReused } from './signInPass';
import { BitbucketIdentity } from './identity';
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

type Result = { fullProfile: BitbucketIdentity; session: OAuthSession };

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
    defaultProfileTransform: async ({
      fullProfile,
    }: {
      fullProfile: BitbucketIdentity;
    }) => ({
      profile: {
        email: fullProfile.email,
        displayName: fullProfile.displayName,
        picture: fullProfile.avatarUrl,
      },
    }),
    scopes: {
      persist: true,
      required: ['account', 'email'],
    },
    initialize({ callbackUrl, config }) {
      const providerConfig = readBitbucketProviderConfig(config);
      return {
        allowedWorkspaces: providerConfig.workspaces,
        callbackUrl,
        timeoutMs: providerConfig.timeoutMs,
        client: new BitbucketClient({
          apiBaseUrl: providerConfig.apiBaseUrl,
          allowedWorkspaces: providerConfig.workspaces,
          onRequest,
        }),
        tokenEndpoint: new BitbucketTokenEndpoint({
          tokenUrl: providerConfig.tokenUrl,
          clientId: providerConfig.clientId,
          clientSecret: providerConfig.clientSecret,
          configKey: 'auth.providers.bitbucket.<environment>',
          deadlineConfigKey: 'auth.providers.bitbucket.<environment>.timeout',
          onRequest,
        }),
        reuse: new RefreshReuse<Result>({
          cache,
          windowMs: providerConfig.refreshReuseWindowMs,
          waitMs: providerConfig.timeoutMs,
          onReuse: markReused,
        }),
        // passport-bitbucket-oauth2 builds the redirect to the consent page.
        // The way back does not go through it: its token request has no
        // timeout, and its profile is `/2.0/user` alone.
        helper: PassportOAuthAuthenticatorHelper.from(
          new BitbucketStrategy(
            {
              clientID: providerConfig.clientId,
              clientSecret: providerConfig.clientSecret,
              callbackURL: callbackUrl,
              authorizationURL: providerConfig.authorizationUrl,
              tokenURL: providerConfig.tokenUrl,
            },
            () => {
              throw new Error(
                'Bitbucket callbacks go to exchangeAuthorizationCode',
              );
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
    async authenticate(input, ctx) {
      const grant = await exchangeAuthorizationCode(input.req, ctx);
      assertMemberOfAllowedWorkspace(
        grant.fullProfile,
        ctx.allowedWorkspaces,
        logger,
      );
      return toResult(grant);
    },
    async refresh(input, ctx) {
      return ctx.reuse.refresh(
        input.refreshToken,
        async () => {
          const grant = await refreshWithToken(ctx, input.refreshToken);
          // re-checked on every refresh: removal from the workspace ends access then
          assertMemberOfAllowedWorkspace(
            grant.fullProfile,
            ctx.allowedWorkspaces,
            logger,
          );
          return toResult(grant);
        },
        // the token endpoint's invalid_grant: spent, expired or revoked
        error => isError(error) && error.name === 'AuthenticationError',
      );
    },
  });
}

function toResult(grant: BitbucketGrant): Result {
  return {
    fullProfile: grant.fullProfile,
    session: {
      accessToken: grant.accessToken,
      tokenType: grant.tokenType ?? 'bearer',
      scope: grant.scope ?? '',
      expiresInSeconds: grant.expiresInSeconds,
      refreshToken: grant.refreshToken,
    },
  };
}
