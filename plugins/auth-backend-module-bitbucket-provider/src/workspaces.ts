import { LoggerService } from '@backstage/backend-plugin-api';
import { NotAllowedError } from '@backstage/errors';
import { OAuthAuthenticatorResult } from '@backstage/plugin-auth-node';
import {
  BitbucketIdentity,
  BitbucketWorkspaceMembership,
  describeUser,
} from './identity';
import { withOutcome } from './metrics';

/**
 * The user's roles in the allowed workspaces (only those they belong to), for
 * custom sign-in resolvers. Throws when they were not fetched, so a resolver
 * never mistakes "not asked" for "none".
 *
 * @public
 */
export function getBitbucketWorkspaces(
  result: OAuthAuthenticatorResult<BitbucketIdentity>,
): BitbucketWorkspaceMembership[] {
  const { workspaces } = result.fullProfile;
  if (!workspaces) {
    throw new Error(
      'Bitbucket workspace memberships were not fetched; set auth.providers.bitbucket.<environment>.workspaces',
    );
  }
  return workspaces;
}

/**
 * Refuses users outside the allow-list. The message names neither the allowed
 * workspaces nor the user's others: both are the company's business.
 */
export function assertMemberOfAllowedWorkspace(
  identity: BitbucketIdentity,
  allowedSlugs: string[] | undefined,
  logger?: LoggerService,
): void {
  if (!allowedSlugs || identity.workspaces?.length) {
    return;
  }
  const user = describeUser(identity);
  logger?.info(
    `Bitbucket user ${user} ${
      identity.uuid
    } was refused: a member of none of the workspaces in auth.providers.bitbucket.<environment>.workspaces (${allowedSlugs.join(
      ', ',
    )})`,
  );
  throw withOutcome(
    new NotAllowedError(
      `Bitbucket user ${user} is not a member of an allowed workspace`,
    ),
    'workspace_refused',
  );
}
