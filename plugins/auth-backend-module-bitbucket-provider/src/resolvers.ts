import {
  ConflictError,
  isError,
  NotFoundError,
  ServiceUnavailableError,
} from '@backstage/errors';
import {
  AuthResolverCatalogUserQuery,
  createSignInResolverFactory,
  OAuthAuthenticatorResult,
  SignInInfo,
} from '@backstage/plugin-auth-node';
import {
  BITBUCKET_USER_ID_ANNOTATION,
  BITBUCKET_USERNAME_ANNOTATION,
  bitbucketUserEntityName,
  toEntityName,
} from '@bitbucket-signin/plugin-bitbucket-cloud-common';
import { z } from 'zod/v3';
import { BitbucketIdentity, describeUser } from './identity';
import { withOutcome } from './metrics';

/** What every Bitbucket sign-in resolver receives @public */
export type BitbucketSignInInfo = SignInInfo<
  OAuthAuthenticatorResult<BitbucketIdentity>
>;

const fallbackOption = {
  dangerouslyAllowSignInWithoutUserInCatalog: z.boolean().optional(),
};
const emailResolverOptions = z
  .object({ allowedDomains: z.array(z.string()).optional(), ...fallbackOption })
  .optional();
const annotationResolverOptions = z.object(fallbackOption).optional();

/** One catalog lookup: the query, how messages name it, and the User name to fall back to */
interface Lookup {
  query: AuthResolverCatalogUserQuery;
  lookedFor: string;
  fallbackName: string;
}

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
  export const emailMatchingUserEntityProfileEmail = catalogResolver(
    emailResolverOptions,
    (identity, { allowedDomains }) => {
      const email = confirmedEmail(identity, allowedDomains);
      return {
        query: { filter: { 'spec.profile.email': email } },
        lookedFor: `spec.profile.email=${email}`,
        fallbackName: email.split('@')[0],
      };
    },
  );

  /** The local part of the confirmed identity email against the User entity name */
  export const emailLocalPartMatchingUserEntityName = catalogResolver(
    emailResolverOptions,
    (identity, { allowedDomains }) => {
      const localPart = confirmedEmail(identity, allowedDomains).split('@')[0];
      return {
        query: { entityRef: { name: localPart } },
        lookedFor: `name ${localPart}`,
        fallbackName: localPart,
      };
    },
  );

  /** The Bitbucket uuid against annotation `bitbucket.org/user-id`, with or without braces */
  export const userIdMatchingUserEntityAnnotation = catalogResolver(
    annotationResolverOptions,
    ({ uuid }) => {
      const bare = uuid.replace(/^\{|\}$/g, '');
      const annotation = `metadata.annotations.${BITBUCKET_USER_ID_ANNOTATION}`;
      return {
        query: { filter: { [annotation]: [`{${bare}}`, bare] } },
        lookedFor: `annotation ${BITBUCKET_USER_ID_ANNOTATION}=${uuid}`,
        fallbackName: bitbucketUserEntityName(uuid),
      };
    },
  );

  /** The Bitbucket username against annotation `bitbucket.org/username` */
  export const usernameMatchingUserEntityAnnotation = catalogResolver(
    annotationResolverOptions,
    ({ username, uuid }, options) => {
      if (!username) {
        const name = bitbucketUserEntityName(uuid);
        if (!options.dangerouslyAllowSignInWithoutUserInCatalog) {
          throw new NotFoundError(`Bitbucket user ${uuid} has no username`);
        }
        return {
          query: { entityRef: { name } },
          lookedFor: `name ${name}`,
          fallbackName: name,
        };
      }
      const annotation = `metadata.annotations.${BITBUCKET_USERNAME_ANNOTATION}`;
      return {
        query: { filter: { [annotation]: username } },
        lookedFor: `annotation ${BITBUCKET_USERNAME_ANNOTATION}=${username}`,
        fallbackName: username,
      };
    },
  );
}

/** A resolver that signs in the one User `lookup` finds, or falls back where the options allow */
function catalogResolver<
  TOptions extends { dangerouslyAllowSignInWithoutUserInCatalog?: boolean },
>(
  optionsSchema: z.ZodType<TOptions | undefined>,
  lookup: (identity: BitbucketIdentity, options: TOptions) => Lookup,
) {
  return createSignInResolverFactory({
    optionsSchema,
    create:
      (options = {} as TOptions) =>
      async (info: BitbucketSignInInfo, ctx) => {
        const { query, lookedFor, fallbackName } = lookup(
          info.result.fullProfile,
          options,
        );
        const fallback = options.dangerouslyAllowSignInWithoutUserInCatalog
          ? { entityRef: { name: toEntityName(fallbackName) } }
          : undefined;
        try {
          return await ctx.signInWithCatalogUser(
            query,
            fallback && { dangerousEntityRefFallback: fallback },
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
          // The catalog client's words for a catalog that answered an error
          // or could not be reached; anything else (issuing the token, an
          // ownership resolver) is not the catalog's to answer for
          if (
            isError(error) &&
            (error.name === 'ResponseError' || error.message === 'fetch failed')
          ) {
            throw catalogUnavailable(error);
          }
          throw error;
        }
      },
  });
}

/** Only a confirmed address reaches a resolver; the profile holds no other */
function confirmedEmail(
  identity: BitbucketIdentity,
  allowedDomains: string[] | undefined,
): string {
  const { email } = identity;
  const user = describeUser(identity);
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

/** The catalog failed to answer a lookup: not the engineer's account, and not "not found" */
export function catalogUnavailable(error: unknown): ServiceUnavailableError {
  const said = isError(error) ? error.message.slice(0, 200) : String(error);
  return withOutcome(
    new ServiceUnavailableError(
      `The Backstage catalog did not answer (${said}), so Backstage cannot tell who you are. Nothing is wrong with your Bitbucket account; tell your Backstage admin that the catalog plugin is not running`,
    ),
    'catalog_unavailable',
  );
}
