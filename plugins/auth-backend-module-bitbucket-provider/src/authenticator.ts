import { LoggerService } from '@backstage/backend-plugin-api';
import {
  createOAuthAuthenticator,
  OAuthAuthenticator,
  OAuthSession,
  PassportOAuthAuthenticatorHelper,
} from '@backstage/plugin-auth-node';
import { BitbucketClient } from './BitbucketClient';
import { Strategy as BitbucketStrategy } from 'passport-bitbucket-oauth2';
import { readBitbucketProviderConfig } from './config';
import {
  BitbucketGrant,
  exchangeAuthorizationCode,
  refreshWithToken,
} from './grants';
import { BitbucketTokenEndpoint } from './tokenEndpoint';
import { BitbucketIdentity } from './types';
import { assertMemberOfAllowedWorkspace } from './workspaces';

/**
 * Creates the Bitbucket Cloud OAuth authenticator, for use with
 * `createOAuthProviderFactory` from `@backstage/plugin-auth-node`.
 * Bitbucket failures are logged through `logger` with method, path and status.
 *
 * @public
 */
export function createBitbucketAuthenticator(
  options: {
    logger?: LoggerService;
  } = {},
): OAuthAuthenticator<unknown, BitbucketIdentity> {
  const { logger } = options;
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
      const client = new BitbucketClient({
        apiBaseUrl: providerConfig.apiBaseUrl,
        timeoutMs: providerConfig.timeoutMs,
        logger,
        includeWorkspaces: Boolean(
          providerConfig.workspaces || providerConfig.workspaceOwnership,
        ),
      });
      const tokenEndpoint = new BitbucketTokenEndpoint({
        tokenUrl: providerConfig.tokenUrl,
        clientId: providerConfig.clientId,
        clientSecret: providerConfig.clientSecret,
        timeoutMs: providerConfig.timeoutMs,
        logger,
      });
      return {
        allowedWorkspaces: providerConfig.workspaces,
        callbackUrl,
        client,
        tokenEndpoint,
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
      const grant = await refreshWithToken(ctx, input.refreshToken);
      // re-checked on every refresh: removal from the workspace ends access then
      assertMemberOfAllowedWorkspace(
        grant.fullProfile,
        ctx.allowedWorkspaces,
        logger,
      );
      // Bitbucket may not rotate the refresh token; the old one stays valid then
      return toResult({
        ...grant,
        refreshToken: grant.refreshToken ?? input.refreshToken,
      });
    },
  });
}

function toResult(grant: BitbucketGrant): {
  fullProfile: BitbucketIdentity;
  session: OAuthSession;
} {
  const { params } = grant;
  return {
    fullProfile: grant.fullProfile,
    session: {
      accessToken: grant.accessToken,
      tokenType:
        typeof params.token_type === 'string' ? params.token_type : 'bearer',
      // Bitbucket says `scopes`, the OAuth spec says `scope`
      scope: String(params.scopes ?? params.scope ?? ''),
      expiresInSeconds:
        typeof params.expires_in === 'number' ? params.expires_in : undefined,
      refreshToken: grant.refreshToken,
    },
  };
}
