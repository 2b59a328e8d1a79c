import { BitbucketIdentity, BitbucketWorkspaceMembership } from './types';

/** `GET /2.0/user`, the fields this module reads */
export interface BitbucketUserResponse {
  uuid: string;
  account_id?: string;
  username?: string;
  nickname?: string;
  display_name?: string;
  links?: { avatar?: { href?: string } };
}

/** One entry of `GET /2.0/user/emails` */
export interface BitbucketEmailResponse {
  email: string;
  is_primary?: boolean;
  is_confirmed?: boolean;
}

/** One entry of `GET /2.0/user/permissions/workspaces` */
export interface BitbucketWorkspaceMembershipResponse {
  permission?: string;
  workspace?: { slug?: string; name?: string; uuid?: string };
}

/**
 * Combines the user and their email list into the identity used for sign-in.
 * Unconfirmed addresses are dropped here, so nothing downstream can match on them.
 */
export function toBitbucketIdentity(
  user: BitbucketUserResponse,
  emails: BitbucketEmailResponse[],
  memberships?: BitbucketWorkspaceMembershipResponse[],
): BitbucketIdentity {
  const confirmed = emails.filter(e => e.is_confirmed === true && e.email);
  const primary = confirmed.find(e => e.is_primary === true);
  const ordered = primary
    ? [primary, ...confirmed.filter(e => e !== primary)]
    : confirmed;
  const confirmedEmails = ordered.map(e => e.email);
  return {
    uuid: user.uuid,
    accountId: user.account_id ?? '',
    // never the nickname: anyone may pick any nickname, even another's username
    username: user.username || undefined,
    nickname: user.nickname,
    displayName:
      user.display_name || user.nickname || user.username || user.uuid,
    avatarUrl: user.links?.avatar?.href,
    email: confirmedEmails[0],
    confirmedEmails,
    workspaces: memberships?.flatMap(toWorkspaceMembership),
  };
}

function toWorkspaceMembership(
  membership: BitbucketWorkspaceMembershipResponse,
): BitbucketWorkspaceMembership[] {
  const { workspace, permission } = membership;
  if (
    !workspace?.slug ||
    (permission !== 'owner' &&
      permission !== 'collaborator' &&
      permission !== 'member')
  ) {
    return [];
  }
  return [
    {
      slug: workspace.slug,
      name: workspace.name,
      uuid: workspace.uuid,
      permission,
    },
  ];
}

/** How messages name the user: the username, or the uuid when there is none */
export function describeUser(identity: BitbucketIdentity): string {
  return identity.username ?? identity.uuid;
}
