import {
  ConflictError,
  isError,
  NotFoundError,
  ServiceUnavailableError,
} from '@backstage/errors';
import {
  AuthResolverCatalogUserQuery,
  AuthResolverContext,
  createSignInResolverFactory,
  OAuthAuthenticatorResult,
  SignInInfo,
} from '@backstage/plugin-auth-node';
import {
  BITBUCKET_USER_ID_ANNOTATION,
  BITBUCKET_USERNAME_ANNOTATION,
  bitbucketUserEntityName,
} from '@bitbucket-signin/plugin-bitbucket-cloud-common';
import { z } from 'zod/v3';
import { describeUser } from './identity';
import { withOutcome } from './metrics';
import { BitbucketIdentity } from './types';

/** What every Bitbucket sign-in resolver receives @public */
export type BitbucketSignInInfo = SignInInfo<
  OAuthAuthenticatorResult<BitbucketIdentity>
>;

const emailResolverOptions = z
  .object({
    allowedDomains: z.array(z.string()).optional(),
    dangerouslyAllowSignInWithoutUserInCatalog: z.boolean().optional(),
  })
  .optional();

const annotationResolverOptions = z
  .object({
    dangerouslyAllowSignInWithoutUserInCatalog: z.boolean().optional(),
  })
  .optional();

/**
 * Sign-in resolvers for Bitbucket Cloud, configured by name under
 * `auth.providers.bitbucket.<environment>.signIn.resolvers`. Each one that
 * finds no user throws `NotFoundError` saying what it looked for, so the next
 * configured resolver gets its turn.
 *
 * @public
 */
export namespace bitbucketSignInResolvers {
  /** The confirmed identity email against `spec.profile.email` */
  export const emailMatchingUserEntityProfileEmail =
    createSignInResolverFactory({
      optionsSchema: emailResolverOptions,
      create(options = {}) {
        return async (info: BitbucketSignInInfo, ctx) => {
          const email = confirmedEmailIn(info, options.allowedDomains);
          return signIn(
            ctx,
            { filter: { 'spec.profile.email': email } },
            `spec.profile.email=${email}`,
            options.dangerouslyAllowSignInWithoutUserInCatalog &&
              email.split('@')[0],
          );
        };
      },
    });

  /** The local part of the confirmed identity email against the User entity name */
  export const emailLocalPartMatchingUserEntityName =
    createSignInResolverFactory({
      optionsSchema: emailResolverOptions,
      create(options = {}) {
        return async (info: BitbucketSignInInfo, ctx) => {
          const email = confirmedEmailIn(info, options.allowedDomains);
          const localPart = email.split('@')[0];
          return signIn(
            ctx,
            { entityRef: { name: localPart } },
            `name ${localPart}`,
            options.dangerouslyAllowSignInWithoutUserInCatalog && localPart,
          );
        };
      },
    });

  /** The Bitbucket uuid against annotation `bitbucket.org/user-id`, with or without braces */
  export const userIdMatchingUserEntityAnnotation = createSignInResolverFactory(
    {
      optionsSchema: annotationResolverOptions,
      create(options = {}) {
        return async (info: BitbucketSignInInfo, ctx) => {
          const { uuid } = info.result.fullProfile;
          const bare = uuid.replace(/^\{|\}$/g, '');
          return signIn(
            ctx,
            {
              filter: {
                [`metadata.annotations.${BITBUCKET_USER_ID_ANNOTATION}`]: [
                  `{${bare}}`,
                  bare,
                ],
              },
            },
            `annotation ${BITBUCKET_USER_ID_ANNOTATION}=${uuid}`,
            options.dangerouslyAllowSignInWithoutUserInCatalog &&
              bitbucketUserEntityName(uuid),
          );
        };
      },
    },
  );

  /** The Bitbucket username against annotation `bitbucket.org/username` */
  export const usernameMatchingUserEntityAnnotation =
    createSignInResolverFactory({
      optionsSchema: annotationResolverOptions,
      create(options = {}) {
        return async (info: BitbucketSignInInfo, ctx) => {
          const { username, uuid } = info.result.fullProfile;
          if (!username) {
            const name = bitbucketUserEntityName(uuid);
            if (!options.dangerouslyAllowSignInWithoutUserInCatalog) {
              throw new NotFoundError(`Bitbucket user ${uuid} has no username`);
            }
            return signIn(ctx, { entityRef: { name } }, `name ${name}`, name);
          }
          return signIn(
            ctx,
            {
              filter: {
                [`metadata.annotations.${BITBUCKET_USERNAME_ANNOTATION}`]:
                  username,
              },
            },
            `annotation ${BITBUCKET_USERNAME_ANNOTATION}=${username}`,
            options.dangerouslyAllowSignInWithoutUserInCatalog && username,
          );
        };
      },
    });
}

/** Only a confirmed address reaches a resolver; the profile holds no other */
function confirmedEmailIn(
  info: BitbucketSignInInfo,
  allowedDomains: string[] | undefined,
): string {
  const { email } = info.result.fullProfile;
  const user = describeUser(info.result.fullProfile);
  if (!email) {
    throw new NotFoundError(
      `Bitbucket user ${user} has no confirmed email address`,
    );
  }
  const domain = email.slice(email.lastIndexOf('@') + 1).toLowerCase();
  if (
    allowedDomains &&
    !allowedDomains.some(allowed => allowed.toLowerCase() === domain)
  ) {
    throw new NotFoundError(
      `email domain ${domain} of Bitbucket user ${user} is not in allowedDomains`,
    );
  }
  return email;
}

async function signIn(
  ctx: AuthResolverContext,
  query: AuthResolverCatalogUserQuery,
  lookedFor: string,
  fallbackName: string | false | undefined,
) {
  try {
    return await ctx.signInWithCatalogUser(
      query,
      fallbackName
        ? {
            dangerousEntityRefFallback: {
              entityRef: { name: toEntityName(fallbackName) },
            },
          }
        : undefined,
    );
  } catch (error) {
    if (isError(error) && error.name === 'NotFoundError') {
      throw new NotFoundError(`no User entity with ${lookedFor}`);
    }
    if (isError(error) && error.name === 'ConflictError') {
      throw new ConflictError(
        `more than one User entity has ${lookedFor}, so the user cannot be told apart; make it unique in the catalog`,
      );
    }
    throw catalogUnavailable(error);
  }
}

/** The catalog failed to answer a lookup: not the engineer's account, and not "not found" */
export function catalogUnavailable(error: unknown): ServiceUnavailableError {
  return withOutcome(
    new ServiceUnavailableError(
      `The Backstage catalog did not answer (${
        isError(error) ? error.message.slice(0, 200) : String(error)
      }), so Backstage cannot tell who you are. Nothing is wrong with your Bitbucket account; tell your Backstage admin that the catalog plugin is not running`,
    ),
    'catalog_unavailable',
  );
}

/** Entity names allow [a-zA-Z0-9._-], at most 63 characters, alphanumeric at both ends */
export function toEntityName(value: string): string {
  return value
    .replace(/[^a-zA-Z0-9._-]+/g, '-')
    .slice(0, 63)
    .replace(/^[^a-zA-Z0-9]+|[^a-zA-Z0-9]+$/g, '');
}
