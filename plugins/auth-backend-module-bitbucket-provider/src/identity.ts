import {
  BitbucketEmail,
  BitbucketUser,
  BitbucketWorkspacePermission,
} from '@bitbucket-signin/plugin-bitbucket-cloud-common';
import { BitbucketIdentity } from './types';

/**
 * Combines the user, their email list and their role in each allowed
 * workspace (undefined where they are not a member) into the identity used
 * for sign-in. Unconfirmed addresses are dropped here, so nothing downstream
 * can match on them.
 */
export function toBitbucketIdentity(
  user: BitbucketUser,
  emails: BitbucketEmail[],
  workspaces?: (BitbucketWorkspacePermission | undefined)[],
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
    workspaces: workspaces?.flatMap(w =>
      w ? [{ ...w.workspace, permission: w.permission }] : [],
    ),
  };
}

/** How messages name the user: the username, or the uuid when there is none */
export function describeUser(identity: BitbucketIdentity): string {
  return identity.username ?? identity.uuid;
}
