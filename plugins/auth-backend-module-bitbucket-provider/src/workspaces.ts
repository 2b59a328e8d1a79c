import { LoggerService } from '@backstage/backend-plugin-api';
import { NotAllowedError } from '@backstage/errors';
import {
  AuthResolverContext,
  OAuthAuthenticatorResult,
} from '@backstage/plugin-auth-node';
import { describeUser } from './identity';
import { toEntityName } from './resolvers';
import { BitbucketIdentity, BitbucketWorkspaceMembership } from './types';

/**
 * The user's workspace memberships, for custom sign-in resolvers. Throws when
 * they were not fetched, so a resolver never mistakes "not asked" for "none".
 *
 * @public
 */
export function getBitbucketWorkspaces(
  result: OAuthAuthenticatorResult<BitbucketIdentity>,
): BitbucketWorkspaceMembership[] {
  const { workspaces } = result.fullProfile;
  if (!workspaces) {
    throw new Error(
      'Bitbucket workspace memberships were not fetched; set auth.providers.bitbucket.<environment>.workspaces or workspaceOwnership',
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
  if (!allowedSlugs) {
    return;
  }
  if (memberWorkspaces(identity, allowedSlugs).length > 0) {
    return;
  }
  logger?.info(
    `Bitbucket user ${describeUser(identity)} ${
      identity.uuid
    } was refused: a member of none of the workspaces in auth.providers.bitbucket.<environment>.workspaces`,
  );
  throw new NotAllowedError(
    `Bitbucket user ${describeUser(
      identity,
    )} is not a member of an allowed workspace`,
  );
}

/** `group:default/<slug>` for each of the user's workspaces, only allowed ones when there is an allow-list */
export function workspaceOwnershipRefs(
  identity: BitbucketIdentity,
  allowedSlugs: string[] | undefined,
): string[] {
  return memberWorkspaces(identity, allowedSlugs).map(
    workspace => `group:default/${toEntityName(workspace.slug.toLowerCase())}`,
  );
}

function memberWorkspaces(
  identity: BitbucketIdentity,
  allowedSlugs: string[] | undefined,
): BitbucketWorkspaceMembership[] {
  const workspaces = identity.workspaces ?? [];
  return allowedSlugs
    ? workspaces.filter(w => allowedSlugs.includes(w.slug.toLowerCase()))
    : workspaces;
}

/**
 * A resolver context whose issued tokens also carry `extraOwnershipRefs` in
 * `ent`, next to the refs resolved from the catalog. The auth backend's
 * context issues every token, those of `signInWithCatalogUser` included,
 * through `this.issueToken`: overriding that one method on an object that
 * inherits the rest keeps the framework's sign-in steps, fallback included.
 */
export function withExtraOwnershipRefs(
  ctx: AuthResolverContext,
  extraOwnershipRefs: string[],
): AuthResolverContext {
  const issueToken: AuthResolverContext['issueToken'] = params =>
    ctx.issueToken({
      claims: {
        ...params.claims,
        ent: [
          ...new Set([...(params.claims.ent ?? []), ...extraOwnershipRefs]),
        ],
      },
    });
  return Object.create(ctx, { issueToken: { value: issueToken } });
}
