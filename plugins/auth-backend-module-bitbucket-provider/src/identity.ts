import {
  BitbucketEmail,
  BitbucketUser,
  BitbucketWorkspacePermission,
} from '@bitbucket-signin/plugin-bitbucket-cloud-common';

/**
 * The Bitbucket Cloud identity behind a sign-in, as fetched by this module.
 * Only confirmed email addresses ever appear here: Bitbucket lets anyone add
 * any address to their account without proving they own it.
 *
 * @public
 */
export interface BitbucketIdentity {
  /** Bitbucket's stable user id, with its curly braces, e.g. `{5c1f...}` */
  uuid: string;
  /** Atlassian account id, e.g. `557058:...` */
  accountId: string;
  /**
   * Bitbucket username, when Bitbucket sends one. The user can change it and
   * someone else can then take it: prefer `uuid` for identity
   */
  username?: string;
  /** Not unique and freely chosen: never an identity */
  nickname?: string;
  /** The display name, else the nickname, the username or the uuid */
  displayName: string;
  /** The avatar's URL, as Bitbucket gives it */
  avatarUrl?: string;
  /** The identity email: the primary address if confirmed, else the first confirmed one */
  email?: string;
  /** Every confirmed address of the account, primary first */
  confirmedEmails: string[];
  /**
   * The user's roles in the workspaces of `auth.providers.bitbucket.<environment>.workspaces`
   * (only those they belong to); undefined without that allow-list
   */
  workspaces?: BitbucketWorkspaceMembership[];
}

/**
 * One of the user's Bitbucket workspaces and the role they have in it.
 *
 * @public
 */
export interface BitbucketWorkspaceMembership {
  /** The workspace's slug, as in its URL, e.g. `acme` */
  slug: string;
  /** The workspace's display name */
  name?: string;
  /** The workspace's uuid, with its curly braces */
  uuid?: string;
  /** The user's role in the workspace; Bitbucket removed the collaborator role in 2026 */
  permission: 'owner' | 'member';
}

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
