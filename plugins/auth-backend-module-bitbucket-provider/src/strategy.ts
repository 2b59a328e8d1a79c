import { LoggerService } from '@backstage/backend-plugin-api';
import { InputError, NotAllowedError } from '@backstage/errors';
import { OAuthAuthenticatorAuthenticateInput } from '@backstage/plugin-auth-node';
import { Strategy as BitbucketStrategy } from 'passport-bitbucket-oauth2';
import { BitbucketClient } from './BitbucketClient';
import { BitbucketProviderConfig } from './config';
import { hardenTokenEndpoint, NodeOAuth2Client } from './tokenEndpoint';
import { BitbucketIdentity } from './types';

/** What Bitbucket's token endpoint granted, with the identity fetched for it */
export interface BitbucketGrant {
  accessToken: string;
  refreshToken?: string;
  params: Record<string, unknown>;
  fullProfile: BitbucketIdentity;
}

/**
 * passport-bitbucket-oauth2 builds the authorize redirect and runs the code and
 * refresh grants; the profile comes from BitbucketClient, which asks for the
 * user and their emails at once instead of the strategy's single /2.0/user call.
 */
export function createBitbucketStrategy(options: {
  config: BitbucketProviderConfig;
  callbackUrl: string;
  client: BitbucketClient;
  logger?: LoggerService;
}): BitbucketStrategy {
  const { config, callbackUrl, client, logger } = options;
  const strategy = new BitbucketStrategy(
    {
      clientID: config.clientId,
      clientSecret: config.clientSecret,
      callbackURL: callbackUrl,
      authorizationURL: config.authorizationUrl,
      tokenURL: config.tokenUrl,
    },
    (accessToken, refreshToken, params, fullProfile, done) =>
      done(undefined, { accessToken, params, fullProfile }, { refreshToken }),
  );
  strategy.userProfile = (accessToken, done) => {
    client.fetchIdentity(accessToken).then(
      identity => done(null, identity),
      error => done(error),
    );
  };
  hardenTokenEndpoint(oauth2Of(strategy), {
    tokenUrl: config.tokenUrl,
    timeoutMs: config.timeoutMs,
    logger,
  });
  return strategy;
}

/** Handles Bitbucket's redirect back: code exchange, then the profile */
export function exchangeAuthorizationCode(
  req: OAuthAuthenticatorAuthenticateInput['req'],
  strategy: BitbucketStrategy,
): Promise<BitbucketGrant> {
  return new Promise((resolve, reject) => {
    // A repeated parameter is ambiguous; which copy wins is up to each parser
    const repeated = ['code', 'state', 'error'].find(name =>
      Array.isArray(req.query[name]),
    );
    if (repeated) {
      reject(
        new InputError(
          `The Bitbucket callback has more than one ${repeated}; start the sign-in again`,
        ),
      );
      return;
    }
    const attempt: BitbucketStrategy & Record<string, unknown> =
      Object.create(strategy);
    attempt.success = (
      result: Omit<BitbucketGrant, 'refreshToken'>,
      privateInfo: { refreshToken?: string },
    ) => resolve({ ...result, refreshToken: privateInfo.refreshToken });
    attempt.fail = (info?: { message?: string }) =>
      reject(
        new NotAllowedError(
          `Bitbucket sign-in was declined${
            info?.message ? ` (${info.message})` : ''
          }. To sign in, start again and grant access on Bitbucket's consent page`,
        ),
      );
    attempt.error = (error: Error & { oauthError?: unknown }) =>
      // passport-oauth2 wraps token errors; the wrapped one is already worded for admins
      reject(error.oauthError instanceof Error ? error.oauthError : error);
    attempt.redirect = () =>
      reject(
        new InputError(
          'The Bitbucket callback has no authorization code; start the sign-in again',
        ),
      );
    attempt.authenticate(req, {});
  });
}

/** The refresh grant, then the profile for the new access token */
export function refreshWithToken(
  strategy: BitbucketStrategy,
  client: BitbucketClient,
  refreshToken: string,
): Promise<BitbucketGrant> {
  return new Promise<Omit<BitbucketGrant, 'fullProfile'>>((resolve, reject) => {
    oauth2Of(strategy).getOAuthAccessToken(
      refreshToken,
      { grant_type: 'refresh_token' },
      (error, accessToken, newRefreshToken, params) =>
        error || !accessToken
          ? reject(error)
          : resolve({
              accessToken,
              refreshToken: newRefreshToken,
              params: params ?? {},
            }),
    );
  }).then(async grant => ({
    ...grant,
    fullProfile: await client.fetchIdentity(grant.accessToken),
  }));
}

function oauth2Of(strategy: BitbucketStrategy): NodeOAuth2Client {
  return strategy._oauth2 as NodeOAuth2Client;
}
