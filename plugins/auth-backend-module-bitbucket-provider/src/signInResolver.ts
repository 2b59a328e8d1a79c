import { LoggerService } from '@backstage/backend-plugin-api';
import { Config } from '@backstage/config';
import { isError, NotFoundError } from '@backstage/errors';
import {
  OAuthAuthenticatorResult,
  SignInResolver,
} from '@backstage/plugin-auth-node';
import { describeUser } from './identity';
import { bitbucketSignInResolvers } from './resolvers';
import { BitbucketIdentity } from './types';
import { withExtraOwnershipRefs, workspaceOwnershipRefs } from './workspaces';

type BitbucketSignInResolver = SignInResolver<
  OAuthAuthenticatorResult<BitbucketIdentity>
>;

/**
 * Builds the resolver chain configured under `signIn.resolvers`. Unlike the
 * generic chain in plugin-auth-node, a sign-in that no resolver completes
 * says, in the error and once in the log, which values were looked for.
 */
export function readBitbucketSignInResolver(options: {
  config: Config;
  logger: LoggerService;
  /** When set, tokens also carry the user's (allowed) workspace groups */
  workspaceOwnership?: { allowedWorkspaces?: string[] };
}): BitbucketSignInResolver | undefined {
  const { config, logger, workspaceOwnership } = options;
  const resolvers = (
    config.getOptionalConfigArray('signIn.resolvers') ?? []
  ).map(resolverConfig => {
    const name = resolverConfig.getString('resolver');
    if (!Object.hasOwn(bitbucketSignInResolvers, name)) {
      throw new Error(
        `Sign-in resolver '${name}' is not available for Bitbucket; use one of ${Object.keys(
          bitbucketSignInResolvers,
        ).join(', ')}`,
      );
    }
    const { resolver: _name, ...resolverOptions } =
      resolverConfig.get<Record<string, unknown>>();
    if (
      name === 'emailLocalPartMatchingUserEntityName' &&
      !resolverOptions.allowedDomains
    ) {
      logger.warn(
        'emailLocalPartMatchingUserEntityName without allowedDomains signs in anyone whose confirmed email local part equals a User name, at any domain; set allowedDomains',
      );
    }
    if (name === 'usernameMatchingUserEntityAnnotation') {
      logger.warn(
        'usernameMatchingUserEntityAnnotation matches the Bitbucket username, which its owner can change: once someone renames and another account takes the old name, that account signs in as the old User. Match the uuid with userIdMatchingUserEntityAnnotation (annotation bitbucket.org/user-id) instead',
      );
    }
    const factory =
      bitbucketSignInResolvers[name as keyof typeof bitbucketSignInResolvers];
    return factory(
      Object.keys(resolverOptions).length > 0 ? resolverOptions : undefined,
    ) as BitbucketSignInResolver;
  });
  if (resolvers.length === 0) {
    return undefined;
  }
  return async (info, resolverContext) => {
    const ctx = workspaceOwnership
      ? withExtraOwnershipRefs(
          resolverContext,
          workspaceOwnershipRefs(
            info.result.fullProfile,
            workspaceOwnership.allowedWorkspaces,
          ),
        )
      : resolverContext;
    const misses: string[] = [];
    for (const resolver of resolvers) {
      try {
        return await resolver(info, ctx);
      } catch (error) {
        if (!isError(error) || error.name !== 'NotFoundError') {
          throw error;
        }
        misses.push(error.message);
      }
    }
    const { uuid } = info.result.fullProfile;
    const user = describeUser(info.result.fullProfile);
    const lookedFor = misses.join('; ');
    logger.warn(
      `Bitbucket user ${user} ${uuid} matches no User entity in the catalog: ${lookedFor}`,
    );
    // The sign-in page shows this to the engineer: what to do first, then
    // what the admin will need
    throw new NotFoundError(
      `Your Bitbucket account ${user} is not in this Backstage catalog yet; ask your Backstage admin to add you. Looked for: ${lookedFor}`,
    );
  };
}
